"""Faust wiring of care-pipeline: settings, topics, codecs, agents, web views and the CLI."""
