"""The webhook sender: a kafka-python process that delivers care alerts to endpoints.

Imports sinks/, processors/, schemas/ and the shared modules of pipeline/; never Faust,
the worker, the simulation or the tools.
"""
