"""``carepipe bench``: throughput, latency and memory of the pipeline, measured side by side
with the raw client ceiling on the same broker, in one run.

1. ceiling: a bare aiokafka loop that consumes the raw topics, decodes, re-encodes and
   produces, with no processing;
2. Faust floor: a bare Faust agent over the same raw topics that decodes, does one table
   write and produces one record, with the worker's Faust settings: what the framework's
   per-record path costs before any care logic;
3. pipeline: one real worker (normalize, enrich, score, alert) over the same pre-loaded
   events, from the first record it wrote to the scoring of the last event;
4. latency: events offered to that worker at a fixed rate, then at half its measured
   rate, from each produce to its normalized record (matched by the lineage fields:
   topic, partition, offset);
5. the worker's peak resident memory and its state per customer.
"""

from pipeline.measure.bench.report import BenchReport
from pipeline.measure.bench.run import run_bench

__all__ = ["BenchReport", "run_bench"]
