"""The chaos suite: one simulated stream through a clean pipeline and through pipelines
whose workers and broker are killed, restarted, rebalanced and stalled; what each wrote is
judged against the clean run's (``carepipe chaos``).
"""
