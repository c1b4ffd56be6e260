"""Consumers: checkpointed, at-least-once readers of the log that act instead of
keeping tables (forwarding and webhooks stand on them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.events import STATEMENT_STORED, RecordedEvent
from projections.runner import ProjectionError, Runner
from tests.progress_helpers import ANN, MODULE_1, head, learner_statement, log_events, write


class Recorder:
    """Remembers what it was given, in order; can be told to fail."""

    name = "recorder"
    event_types = frozenset((STATEMENT_STORED,))

    def __init__(self) -> None:
        self.delivered: list[int] = []
        self.fail_at: int | None = None

    def consume(self, events: Sequence[RecordedEvent]) -> None:
        if self.fail_at is not None and any(e.position == self.fail_at for e in events):
            raise ConnectionError("the receiver is down")
        self.delivered.extend(e.position for e in events)


def _statements(n: int) -> list[dict[str, Any]]:
    return [learner_statement(ANN, "experienced", MODULE_1) for _ in range(n)]


def test_every_event_is_delivered_once_in_log_order(engine: Engine) -> None:
    write(engine, _statements(7))
    recorder = Recorder()
    runner = Runner(engine, [recorder], batch=3)
    runner.catch_up()
    write(engine, _statements(4))
    runner.catch_up()
    runner.catch_up()  # nothing new: nothing delivered
    runner.release()
    expected = [e.position for e in log_events(engine) if e.type == STATEMENT_STORED]
    assert recorder.delivered == expected
    assert runner.position("recorder") == head(engine)


def test_a_batch_whose_checkpoint_was_not_written_is_delivered_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once: a crash between acting and moving the checkpoint repeats the
    batch; nothing is ever skipped."""
    write(engine, _statements(5))
    recorder = Recorder()
    runner = Runner(engine, [recorder], batch=2)
    runner.step("recorder")
    original = Runner._advance

    def crash(self: Runner, *args: Any) -> bool:
        raise RuntimeError("killed before the checkpoint moved")

    monkeypatch.setattr(Runner, "_advance", crash)
    with pytest.raises(RuntimeError):
        runner.step("recorder")
    monkeypatch.setattr(Runner, "_advance", original)
    runner.catch_up()
    runner.release()
    positions = [e.position for e in log_events(engine) if e.type == STATEMENT_STORED]
    assert recorder.delivered[:2] == positions[:2]
    # The second batch came twice, then the rest once each.
    assert recorder.delivered[2:] == [*positions[2:4], *positions[2:]]


def test_a_failing_consumer_stops_at_its_batch_and_resumes_there(engine: Engine) -> None:
    write(engine, _statements(6))
    positions = [e.position for e in log_events(engine) if e.type == STATEMENT_STORED]
    recorder = Recorder()
    recorder.fail_at = positions[3]
    runner = Runner(engine, [recorder], batch=2)
    with pytest.raises(ProjectionError) as stopped:
        runner.catch_up()
    (status,) = runner.status()
    assert status.error is not None and "receiver is down" in status.error
    assert stopped.value.position == status.error_position == positions[2]
    assert recorder.delivered == positions[:2]
    recorder.fail_at = None
    runner.catch_up()
    runner.release()
    assert recorder.delivered == positions
