"""Operator tools: the local broker, child worker processes, producers, output readers, the
alert tail, the demo and the lag exporter. They run beside workers, never inside one, and
may import the simulation and the shared modules of pipeline/, never the worker's modules.
"""
