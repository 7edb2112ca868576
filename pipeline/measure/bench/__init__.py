"""``carepipe bench``: throughput, latency and memory of the pipeline, measured side by side
with the raw client ceiling on the same broker, in one run.

1. ceiling: a bare aiokafka loop that consumes the raw topics, decodes, re-encodes and
   produces, with no processing;
2. pipeline: one real worker (normalize, enrich, score, alert) over the same pre-loaded
   events, from the first record it wrote to the scoring of the last event;
3. latency: events offered at a fixed rate to that worker, from each produce to its
   normalized record (matched by the lineage fields: topic, partition, offset);
4. the worker's peak resident memory and its state per customer.
"""

from pipeline.measure.bench.report import BenchReport
from pipeline.measure.bench.run import run_bench

__all__ = ["BenchReport", "run_bench"]
