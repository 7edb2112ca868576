"""A simulated customer population, its care journeys and wording, as raw events.

Pure and deterministic but for recording and sending; imports processors/, schemas/ and the
shared modules of pipeline/, never the worker, the tools or the measurements.
"""
