"""Starts a worker process: checks the rules and the topics, then runs the Faust app."""

from __future__ import annotations

import threading

import faust

from pipeline import admin, kafkaclients
from pipeline.modelfile import load_model
from pipeline.rulesfile import load_rules
from pipeline.schemaregistry import SchemaRegistry
from pipeline.settings import Settings
from pipeline.worker.app import build_app
from processors import language
from processors.model import ModelError
from processors.rules import RulesError


def run_worker(settings: Settings) -> None:
    """Runs until SIGTERM or SIGINT. A bad rules or model file, an unusable cluster or, with the
    Confluent framing, a registry that does not answer or refuses an output schema raises a
    :class:`~processors.errors.StartupError` before the worker touches any partition."""
    try:
        rules = load_rules(settings.rules_file)
    except RulesError as exc:
        raise RulesError(f"CAREPIPE_RULES_FILE: {exc}") from exc
    model = None
    if settings.model_file is not None:
        try:
            model = load_model(settings.model_file)
        except ModelError as exc:
            raise ModelError(f"CAREPIPE_MODEL_FILE: {exc}") from exc
    if settings.create_topics:
        admin.ensure_topics(settings)  # checks the brokers take this worker's credentials
    else:
        kafkaclients.check_access(settings)
    registry = SchemaRegistry.from_settings(settings)
    schema_ids = None
    if registry is not None and settings.value_framing == "confluent":
        schema_ids = registry.register_outputs(settings)
    app = build_app(settings, rules, schema_ids, registry, model)
    # simplemma loads a language's dictionary on its first text: about half a second that
    # record, and every one behind it, would wait. Loaded while the worker joins its group
    # and recovers its tables instead.
    threading.Thread(target=language.load_dictionaries, name="dictionaries", daemon=True).start()
    worker = faust.Worker(app, loglevel=settings.log_level)
    # Faust's start-up spinner lowers the root logger to DEBUG at levels warning and above,
    # so that every debug call of every library builds a log record: a large share of
    # the CPU under load. The worker runs under supervisors, not on a terminal.
    worker.spinner = None
    worker.execute_from_commandline()
