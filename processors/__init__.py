"""The functional core of care-pipeline: plain Python, no Faust, no I/O.

Every rule here takes plain values (and a clock where time matters) and returns plain
values, so it can be tested, replayed and backtested without a broker.
"""
