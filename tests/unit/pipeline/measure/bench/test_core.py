"""`carepipe bench-core`: every stage of the worker's own per-event code timed, and the
histories it stored."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.measure.bench.core import STAGES, measure_core


def test_every_stage_is_timed_over_every_event_with_a_customer() -> None:
    costs = measure_core(customers=10, events=60)

    assert 0 < costs.events <= 60  # posts known only by their handle are left out
    assert list(costs.us_per_event) == list(STAGES)
    assert all(us > 0 for us in costs.us_per_event.values())
    assert costs.total_us == sum(costs.us_per_event.values())
    assert costs.events_per_s == 1e6 / costs.total_us
    assert 0 < costs.history_bytes_median <= costs.history_bytes_max


def test_the_command_prints_a_line_per_stage() -> None:
    result = CliRunner().invoke(main, ["bench-core", "--customers", "5", "--events", "30"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "events/s on one core" in lines[0]
    assert [line.split()[0] for line in lines[1:7]] == [s.split()[0] for s in STAGES]
    assert lines[-1].lstrip().startswith("history as stored")
