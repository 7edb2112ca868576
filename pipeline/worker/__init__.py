"""The Faust worker: the app, its topics, tables, codecs, agents, timers, views and monitor.

Runs inside a worker process. Imports processors/, sinks/, schemas/ and the shared
modules of pipeline/; never the simulation, the tools or the measurements.
"""
