"""Measurements: the benchmark against the raw client ceiling and the offline backtest.

They may import the simulation, the tools and the shared modules of pipeline/; a worker
under measurement runs as a child process, never imported.
"""
