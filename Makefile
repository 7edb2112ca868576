# care-pipeline: `make demo` runs the demo, `make test` runs every test. Both set up what
# is missing first (Debian packages, the Python environment, the Kafka broker's jars, the
# schema registry).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JARS := deploy/local/.kafka/libs/.resolved
REGISTRY := deploy/local/.registry/.resolved

.PHONY: setup system demo test unit integration lint kafka-start kafka-start-secure \
	kafka-stop kafka-status registry-start registry-stop registry-status clean

setup: system $(VENV)/.installed $(JARS) $(REGISTRY)

system:
	@deploy/local/install-system-packages.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

$(JARS): deploy/local/pom.xml
	mvn -q -B -f deploy/local/pom.xml package
	@touch $@

# Apicurio Registry 3.3.3 from Maven Central, unpacked into deploy/local/.registry.
$(REGISTRY): deploy/local/registry-pom.xml
	mvn -q -B -f deploy/local/registry-pom.xml package
	@touch $@

demo: setup
	$(BIN)/carepipe demo

# Two pytest processes, each with its own session broker; a test file stays in one.
PYTEST_PROCESSES ?= 2

test: setup
	$(BIN)/ruff check pipeline processors sinks schemas tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_PROCESSES) --dist loadfile --durations=15

unit: setup
	$(BIN)/python -m pytest tests/unit

integration: setup
	$(BIN)/python -m pytest -n $(PYTEST_PROCESSES) --dist loadfile tests/integration

lint: setup
	$(BIN)/ruff check pipeline processors sinks schemas tests
	$(BIN)/mypy
	$(BIN)/ruff format --check pipeline processors sinks schemas tests

kafka-start: setup
	$(BIN)/carepipe kafka start

kafka-start-secure: setup
	$(BIN)/carepipe kafka start --secure

kafka-stop:
	$(BIN)/carepipe kafka stop

kafka-status:
	$(BIN)/carepipe kafka status

registry-start: setup
	$(BIN)/carepipe registry start

registry-stop:
	$(BIN)/carepipe registry stop

registry-status:
	$(BIN)/carepipe registry status

clean: kafka-stop registry-stop
	rm -rf deploy/local/.kafka/data deploy/local/.kafka/logs deploy/local/.registry-run .carepipe
