"""The Kubernetes manifests of deploy/kubernetes/, checked without a cluster: each resource
against the Kubernetes schemas (strict), and against the settings, ports and topics of the
code it deploys."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from pipeline.rulesfile import load_rules
from pipeline.settings import ENV_PREFIX, Settings, load_settings
from pipeline.topics import TOPICS
from sinks.webhook_endpoints import parse_endpoints

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KEDA = MANIFESTS / "optional" / "keda-scaledobject.yaml"
# A release most clusters run; the package ships the schemas of several.
KUBERNETES_VERSION = "1.33"
KNOWN = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
WORKLOADS = {
    "worker": ("StatefulSet", "care-worker"),
    "webhooks": ("Deployment", "care-webhooks"),
    "lag-exporter": ("Deployment", "care-lag-exporter"),
}
# Each process's HTTP port (a Settings field) and the path each of its probes asks.
PORTS = {
    "worker": "web_port",
    "webhooks": "webhooks_metrics_port",
    "lag-exporter": "lag_exporter_port",
}
PROBES = {
    "worker": {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/ready"},
    "webhooks": dict.fromkeys(("startupProbe", "livenessProbe", "readinessProbe"), "/metrics"),
    "lag-exporter": dict.fromkeys(("livenessProbe", "readinessProbe"), "/metrics"),
}
# Where a value taken from a Secret stands in the settings a test loads: it is set there, and
# its real value is the cluster's business.
FROM_SECRET = "value-from-a-secret"
# The Secret the operator copies from the Kafka cluster (Strimzi: <cluster>-cluster-ca-cert).
KAFKA_CA = ("care-pipeline-kafka-ca", "ca.crt")
# CAREPIPE_SASL_MECHANISM as KEDA's Kafka scaler names it.
KEDA_SASL = {"SCRAM-SHA-512": "scram_sha512", "SCRAM-SHA-256": "scram_sha256", "PLAIN": "plaintext"}

Doc = dict[str, Any]


def listed_files() -> list[str]:
    return yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())["resources"]


def documents(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@functools.cache
def resources() -> tuple[Doc, ...]:
    return tuple(doc for name in listed_files() for doc in documents(MANIFESTS / name))


def one(kind: str, name: str) -> Doc:
    found = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def template(component: str) -> Doc:
    return one(*WORKLOADS[component])["spec"]["template"]


def container(component: str) -> Doc:
    (only,) = template(component)["spec"]["containers"]
    return only


def environment(component: str) -> dict[str, str | None]:
    """The container's variables: its ConfigMaps' keys, then its own entries (FROM_SECRET
    for a value taken from a Secret, None for one taken from a field)."""
    env: dict[str, str | None] = {}
    for source in container(component).get("envFrom", []):
        env.update(one("ConfigMap", source["configMapRef"]["name"])["data"])
    for variable in container(component).get("env", []):
        from_secret = "secretKeyRef" in variable.get("valueFrom", {})
        env[variable["name"]] = FROM_SECRET if from_secret else variable.get("value")
    return env


def secret_refs(component: str) -> dict[str, Doc]:
    """The container's variables taken from a Secret, each with its secretKeyRef."""
    return {
        v["name"]: v["valueFrom"]["secretKeyRef"]
        for v in container(component).get("env", [])
        if "secretKeyRef" in v.get("valueFrom", {})
    }


def settings(component: str) -> Settings:
    """The settings the process starts with, a placeholder standing for each secret."""
    env = environment(component)
    return load_settings(
        {k: v for k, v in env.items() if k.startswith(ENV_PREFIX) and v is not None}
    )


def mounted_files(component: str) -> set[str]:
    """Paths of the ConfigMap files mounted into the container."""
    volumes = {v["name"]: v for v in template(component)["spec"].get("volumes", [])}
    files: set[str] = set()
    for mount in container(component).get("volumeMounts", []):
        source = volumes.get(mount["name"], {}).get("configMap")
        if source:
            keys = one("ConfigMap", source["name"])["data"]
            paths = [item["path"] for item in source.get("items", [])] or list(keys)
            files.update(f"{mount['mountPath']}/{path}" for path in paths)
    return files


def mounted_secret_files(component: str) -> dict[str, tuple[str, str]]:
    """Paths of the Secret files mounted into the container, each with its Secret and key
    (only read-only mounts of listed keys count)."""
    volumes = {v["name"]: v for v in template(component)["spec"].get("volumes", [])}
    files: dict[str, tuple[str, str]] = {}
    for mount in container(component).get("volumeMounts", []):
        source = volumes.get(mount["name"], {}).get("secret")
        if source and mount.get("readOnly"):
            for item in source.get("items", []):
                path = f"{mount['mountPath']}/{item['path']}"
                files[path] = (source["secretName"], item["key"])
    return files


def file_data(key: str) -> str:
    return one("ConfigMap", "care-pipeline-files")["data"][key]


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    assert set(selector) == {"matchLabels"}, "only matchLabels selectors are checked here"
    return bool(selector["matchLabels"]) and selector["matchLabels"].items() <= labels.items()


def test_every_manifest_validates_strictly_and_kustomize_lists_them_all() -> None:
    on_disk = sorted(p.name for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed_files()) == on_disk
    problems = []
    for name in listed_files():
        for doc in documents(MANIFESTS / name):
            try:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(part) for part in exc.path)
                problems.append(f"{name} {doc['kind']}: {where}: {exc.message}")
    assert not problems, "\n".join(problems)
    images = [container(component)["image"] for component in WORKLOADS]
    assert all(":" in image and not image.endswith(":latest") for image in images), images


def test_the_manifests_set_only_known_settings_and_what_each_process_needs() -> None:
    config_keys = {key for r in resources() if r["kind"] == "ConfigMap" for key in r["data"]}
    env_names = {name for component in WORKLOADS for name in environment(component)}
    used = {name for name in config_keys | env_names if name.startswith(ENV_PREFIX)}
    assert used and used <= KNOWN, f"unknown settings: {sorted(used - KNOWN)}"
    worker = environment("worker")
    mounts = {m["name"]: m["mountPath"] for m in container("worker")["volumeMounts"]}
    (state,) = one("StatefulSet", "care-worker")["spec"]["volumeClaimTemplates"]
    assert worker["CAREPIPE_BROKER"] and worker["CAREPIPE_WEB_ADVERTISED_HOST"]
    assert worker["CAREPIPE_DATA_DIR"] == mounts[state["metadata"]["name"]]
    assert worker["CAREPIPE_STORE"] == "rocksdb"
    assert str(settings("worker").rules_file) in mounted_files("worker")
    assert str(settings("webhooks").webhooks_file) in mounted_files("webhooks")
    for component in WORKLOADS:
        assert settings(component).web_host == "0.0.0.0", f"{component} must listen on the pod"


def test_the_mounted_rules_and_webhooks_files_are_valid(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(file_data("rules.yaml"))
    load_rules(rules)
    assert parse_endpoints(yaml.safe_load(file_data("webhooks.yaml")))


def test_ports_probes_services_and_scrape_annotations_agree_with_the_settings() -> None:
    for component, field in PORTS.items():
        port = getattr(settings(component), field)
        ports = {p["name"]: p["containerPort"] for p in container(component)["ports"]}
        assert list(ports.values()) == [port], component
        probes = {k: v["httpGet"] for k, v in container(component).items() if k.endswith("Probe")}
        assert {k: get["path"] for k, get in probes.items()} == PROBES[component]
        assert {ports.get(get["port"], get["port"]) for get in probes.values()} == {port}
        annotations = template(component)["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(port), component
        assert annotations["prometheus.io/path"] == "/metrics", component
    web_port = settings("worker").web_port
    named = {p["name"]: p["containerPort"] for p in container("worker")["ports"]}
    services = [r for r in resources() if r["kind"] == "Service"]
    assert services
    for service in services:
        selector = {"matchLabels": service["spec"]["selector"]}  # a Service's is plain labels
        assert selects(selector, template("worker")["metadata"]["labels"])
        for port in service["spec"]["ports"]:
            target = named.get(port["targetPort"], port["targetPort"])
            assert port["port"] == target == web_port, service["metadata"]["name"]


def test_network_policies_admit_each_process_port_and_let_out_the_broker_and_dns() -> None:
    broker_ports = {
        int(server.rsplit(":", 1)[1]) for server in settings("worker").bootstrap_servers
    }
    policies = [r for r in resources() if r["kind"] == "NetworkPolicy"]
    for component, field in PORTS.items():
        labels = template(component)["metadata"]["labels"]
        (policy,) = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        ingress = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
        assert ingress == {getattr(settings(component), field)}, component
        egress = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        assert broker_ports | {53} <= egress, component
    (worker,) = [p for p in policies if p["metadata"]["name"] == "care-worker"]
    peers = [peer for rule in worker["spec"]["ingress"] for peer in rule["from"]]
    labels = template("worker")["metadata"]["labels"]
    assert any(
        set(peer) == {"podSelector"} and selects(peer["podSelector"], labels) for peer in peers
    )


def test_secrets_live_in_the_secret_and_cover_every_variable_webhooks_names() -> None:
    for config_map in (r for r in resources() if r["kind"] == "ConfigMap"):
        for key, value in config_map["data"].items():
            where = f"{config_map['metadata']['name']}: {key}"
            assert not any(word in key.upper() for word in ("SECRET", "TOKEN", "PASSWORD")), where
            assert "whsec_" not in value, where
    secret = one("Secret", "care-pipeline-secrets")["stringData"]
    endpoints = parse_endpoints(yaml.safe_load(file_data("webhooks.yaml")))
    named = {name for endpoint in endpoints for name in endpoint.secrets}
    assert named and named <= secret.keys()
    needed = {"webhooks": named, "worker": {"CAREPIPE_API_TOKEN"}}
    for component, names in needed.items():
        env = {v["name"]: v.get("valueFrom", {}) for v in container(component)["env"]}
        for name in names:
            ref = env.get(name, {}).get("secretKeyRef")
            assert ref == {"name": "care-pipeline-secrets", "key": name}, f"{component}: {name}"
    assert "CAREPIPE_SASL_PASSWORD" in secret
    assert all("CAREPIPE_SASL_PASSWORD" in secret_refs(component) for component in WORKLOADS)


def test_every_process_reaches_kafka_over_sasl_ssl_with_the_secret_password_and_the_ca() -> None:
    for component in WORKLOADS:
        loaded = settings(component)
        assert loaded.security_protocol == "SASL_SSL", component
        assert loaded.sasl_mechanism == "SCRAM-SHA-512", component
        assert loaded.sasl_username, component
        assert loaded.sasl_password is not None
        assert loaded.sasl_password.get_secret_value() == FROM_SECRET, component
        ref = secret_refs(component)["CAREPIPE_SASL_PASSWORD"]
        assert (ref["name"], ref["key"]) == ("care-pipeline-secrets", "CAREPIPE_SASL_PASSWORD")
        ca_file = str(loaded.ssl_ca_file)
        assert mounted_secret_files(component).get(ca_file) == KAFKA_CA, component
        # A mount inside another one hides part of it, or is hidden.
        folders = [m["mountPath"].rstrip("/") + "/" for m in container(component)["volumeMounts"]]
        (ca_folder,) = [f for f in folders if ca_file.startswith(f)]
        others = [f for f in folders if f != ca_folder]
        assert not any(f.startswith(ca_folder) or ca_folder.startswith(f) for f in others)
        assert loaded.ssl_cert_file is None and loaded.ssl_key_password is None, component
    # The CA comes from the Kafka cluster: an apply of this folder never writes over it.
    assert not [r for r in resources() if r["metadata"]["name"] == KAFKA_CA[0]]


def test_workers_advertise_their_headless_names_and_the_selectors_match_the_pods() -> None:
    statefulset = one("StatefulSet", "care-worker")
    service = one("Service", statefulset["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"]
    env = {v["name"]: v for v in container("worker")["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    advertised = env["CAREPIPE_WEB_ADVERTISED_HOST"]["value"]
    assert advertised.startswith(f"$(POD_NAME).{service['metadata']['name']}.$(POD_NAMESPACE).")
    grace = template("worker")["spec"]["terminationGracePeriodSeconds"]
    assert grace > settings("worker").session_timeout_seconds
    labels = template("worker")["metadata"]["labels"]
    assert selects(statefulset["spec"]["selector"], labels)
    assert selects(one("PodDisruptionBudget", "care-worker")["spec"]["selector"], labels)
    for component in ("webhooks", "lag-exporter"):
        deployment = one(*WORKLOADS[component])
        assert selects(deployment["spec"]["selector"], template(component)["metadata"]["labels"])
        assert not selects(deployment["spec"]["selector"], labels), f"{component} takes workers"


def test_the_keda_example_scales_the_workers_of_the_configured_group_and_topics() -> None:
    (scaled,) = [doc for doc in documents(KEDA) if doc["kind"] == "ScaledObject"]
    target = scaled["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == WORKLOADS["worker"]
    worker = settings("worker")
    assert scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    assert scaled["spec"]["maxReplicaCount"] <= worker.topic_partitions
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    metadata = trigger["metadata"]
    assert metadata["consumerGroup"] == worker.app_id
    assert metadata["bootstrapServers"].split(",") == worker.bootstrap_servers
    assert metadata["allowIdleConsumers"] == "false"
    if "topic" in metadata:
        assert metadata["topic"] in {worker.topic(spec.name) for spec in TOPICS}


def test_keda_reads_the_lag_as_the_workers_read_kafka() -> None:
    (auth,) = [doc for doc in documents(KEDA) if doc["kind"] == "TriggerAuthentication"]
    (scaled,) = [doc for doc in documents(KEDA) if doc["kind"] == "ScaledObject"]
    assert auth["metadata"]["namespace"] == scaled["metadata"]["namespace"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    worker = settings("worker")
    metadata = trigger["metadata"]
    tls = worker.security_protocol in ("SSL", "SASL_SSL")
    assert metadata.get("tls", "disable") == ("enable" if tls else "disable")
    sasl = (
        KEDA_SASL[worker.sasl_mechanism] if worker.security_protocol.startswith("SASL_") else "none"
    )
    assert metadata.get("sasl", "none") == sasl
    # Each parameter from where the workers take it: the user name from their environment,
    # the password from the same Secret key, the CA from the Secret they mount.
    sources: dict[str, tuple[str, str]] = {}
    for ref in auth["spec"].get("secretTargetRef", []):
        sources[ref["parameter"]] = (ref["name"], ref["key"])
    for ref in auth["spec"].get("env", []):
        assert ref["containerName"] == container("worker")["name"]
        sources[ref["parameter"]] = ("env", ref["name"])
    assert set(sources) == {"username", "password", "ca"}
    assert sources["username"][0] == "env"
    assert environment("worker")[sources["username"][1]] == worker.sasl_username
    password = secret_refs("worker")["CAREPIPE_SASL_PASSWORD"]
    assert sources["password"] == (password["name"], password["key"])
    assert sources["ca"] == mounted_secret_files("worker")[str(worker.ssl_ca_file)] == KAFKA_CA


def test_prometheus_finds_each_process_by_its_component_label_and_port_name() -> None:
    # Debian's promtool is built without Kubernetes discovery, so it cannot load this file;
    # these are the parts that must agree with the manifests and with prometheus.yml.
    folder = ROOT / "deploy" / "prometheus"
    config = yaml.safe_load((folder / "prometheus-kubernetes.yml").read_text())
    local = yaml.safe_load((folder / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == [job["job_name"] for job in local["scrape_configs"]]
    assert config["rule_files"] == local["rule_files"]
    by_job = {"carepipe-worker": "worker", "carepipe-webhooks": "webhooks",
              "carepipe-lag": "lag-exporter"}  # fmt: skip
    for job_name, component in by_job.items():
        keep = {
            rule["source_labels"][0]: rule["regex"]
            for rule in jobs[job_name]["relabel_configs"]
            if rule.get("action") == "keep"
        }
        labels = template(component)["metadata"]["labels"]
        assert (
            keep["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
            == labels["app.kubernetes.io/name"]
        )
        assert (
            keep["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
            == labels["app.kubernetes.io/component"]
        )
        (port,) = container(component)["ports"]
        assert keep["__meta_kubernetes_pod_container_port_name"] == port["name"]
        assert port["containerPort"] == getattr(settings(component), PORTS[component])
        namespaces = jobs[job_name]["kubernetes_sd_configs"][0]["namespaces"]["names"]
        assert namespaces == [
            yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())["namespace"]
        ]
