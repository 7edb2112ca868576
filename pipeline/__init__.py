"""Everything that wires the functional core to Kafka and to people.

Subpackages say what runs where: ``worker`` (inside a Faust worker process), ``delivery``
(the webhook sender process), ``simulation`` (a simulated population, pure), ``ops``
(operator tools: local broker, demo, alert tail, lag exporter) and ``measure`` (bench,
backtest). The modules at this level (settings, the topic catalogue, topic admin, rules and
errors, the broker-side group lag) are shared by all of them; ``cli`` is the thin
command-line entry point.
"""
