# care-pipeline: `make demo` runs the demo, `make test` runs every test. Both set up what
# is missing first (Debian packages, the Python environment, the Kafka broker's jars).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JARS := deploy/local/.kafka/libs/.resolved

.PHONY: setup system demo test unit integration lint kafka-start kafka-start-secure kafka-stop kafka-status clean

setup: system $(VENV)/.installed $(JARS)

system:
	@deploy/local/install-system-packages.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

$(JARS): deploy/local/pom.xml
	mvn -q -B -f deploy/local/pom.xml package
	@touch $@

demo: setup
	$(BIN)/carepipe demo

test: setup
	$(BIN)/ruff check pipeline processors sinks schemas tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

unit: setup
	$(BIN)/python -m pytest tests/unit

integration: setup
	$(BIN)/python -m pytest tests/integration

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

clean: kafka-stop
	rm -rf deploy/local/.kafka/data deploy/local/.kafka/logs .carepipe
