"""The forwarder against real local HTTP servers, on both backends: rejections are
isolated and skipped, 429's Retry-After is honoured, a failing target is paused
after the configured time and blocks no other, redirects to other hosts are not
followed, a target added with from=now gets only what came after it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lrs import clock
from lrs.config import Settings
from lrs.credentials import ensure_default_store
from lrs.forwarding import sealing, targets
from lrs.schema import forwarding_status
from projections.forwarding.forwarder import Forwarder, status
from tests.progress_helpers import ANN, MODULE_1, learner_statement, log_events, write

Answer = tuple[int, dict[str, str]]


@dataclass
class Endpoint:
    """A real HTTP server; ``decide(statements)`` picks each answer."""

    decide: Callable[[list[dict[str, Any]]], Answer]
    received: list[list[dict[str, Any]]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"

    def ids(self) -> list[str]:
        return [s["id"] for batch in self.received for s in batch]

    def start(self) -> Endpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                statements = body if isinstance(body, list) else body["events"]
                endpoint.authorizations.append(self.headers.get("Authorization", ""))
                status_code, headers = endpoint.decide(statements)
                if 200 <= status_code < 300:
                    endpoint.received.append(statements)
                self.send_response(status_code)
                for name, value in {"Content-Length": "2", **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints() -> Iterator[Callable[[Callable[[list[dict[str, Any]]], Answer]], Endpoint]]:
    started: list[Endpoint] = []

    def make(decide: Callable[[list[dict[str, Any]]], Answer]) -> Endpoint:
        started.append(Endpoint(decide).start())
        return started[-1]

    yield make
    for endpoint in started:
        endpoint.stop()


def _settings(**overrides: Any) -> Settings:
    return Settings(forwarding_allow_private=True, forwarding_batch=10, **overrides)


def _add(engine: Engine, target_id: str, url: str, **extra: Any) -> None:
    body = {"id": target_id, "kind": "lrs", "url": url, "auth": {"bearer": "token-value"},
            "xapiVersion": "2.0.0", **extra}
    targets.add(engine, body, store_id="default", allow_private=True)


def _statements(n: int) -> list[dict[str, Any]]:
    return [learner_statement(ANN, "experienced", MODULE_1) for _ in range(n)]


def _status_row(engine: Engine, target_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(forwarding_status)
                            .where(forwarding_status.c.target_id == target_id)).first()


@pytest.fixture(autouse=True)
def _store(engine: Engine) -> None:
    ensure_default_store(engine)


def test_refused_statements_are_isolated_recorded_and_skipped_the_rest_in_order(engine, endpoints):
    written = write(engine, _statements(25))
    ids = [e.payload()["id"] for e in log_events(engine) if e.type == "xapi.statement.stored"]
    bad = {ids[3], ids[17]}

    def decide(statements: list[dict[str, Any]]) -> Answer:
        return (400, {}) if any(s["id"] in bad for s in statements) else (200, {})

    target = endpoints(decide)
    _add(engine, "picky", target.url)
    forwarder = Forwarder(engine, _settings())
    try:
        forwarder.run_once()
    finally:
        forwarder.close()
    assert target.ids() == [i for i in ids if i not in bad]
    state = status(engine, "picky")
    assert state.rejected == 2 and state.delivered == 23
    assert state.last_rejection is not None and "HTTP 400" in state.last_rejection
    assert state.lag_events == 0 and state.last_error is None
    assert written


def test_429_retry_after_is_honoured_and_a_failing_target_blocks_no_other(engine, endpoints):
    write(engine, _statements(5))
    busy = endpoints(lambda s: (429, {"Retry-After": "120"}))
    fine = endpoints(lambda s: (200, {}))
    _add(engine, "busy", busy.url)
    _add(engine, "fine", fine.url)
    forwarder = Forwarder(engine, _settings())
    try:
        before = clock.utcnow()
        forwarder.run_once()
        assert len(fine.ids()) == 5 and busy.ids() == []
        row = _status_row(engine, "busy")
        assert row.retries == 1 and "HTTP 429" in row.last_error
        waited = (clock.parse_utc(row.next_attempt_at) - before).total_seconds()
        assert 119 <= waited <= 125
        forwarder.run_once()  # not due yet: not tried again
        assert _status_row(engine, "busy").retries == 1
    finally:
        forwarder.close()


def test_a_target_failing_longer_than_allowed_is_paused_with_the_reason(engine, endpoints):
    write(engine, _statements(3))
    down = endpoints(lambda s: (503, {}))
    _add(engine, "down", down.url)
    forwarder = Forwarder(engine, _settings(forwarding_pause_after_seconds=0.0))
    try:
        forwarder.run_once()
    finally:
        forwarder.close()
    (target,) = targets.list_targets(engine)
    assert target["paused"] is True
    assert "HTTP 503" in target["pausedReason"] and "LRS_FORWARDING_PAUSE_AFTER_SECONDS" in target["pausedReason"]
    assert log_events(engine)[-1].type == targets.TARGET_PAUSED
    assert log_events(engine)[-1].meta()["actor"] == "forwarder"


def test_wrong_credentials_are_retried_not_skipped(engine, endpoints):
    write(engine, _statements(3))
    locked = endpoints(lambda s: (401, {}))
    _add(engine, "locked", locked.url)
    forwarder = Forwarder(engine, _settings())
    try:
        forwarder.run_once()
    finally:
        forwarder.close()
    state = status(engine, "locked")
    assert state.rejected == 0 and state.retries == 1 and state.lag_events > 0
    assert "HTTP 401" in (state.last_error or "")


def test_a_redirect_to_another_host_is_not_followed(engine, endpoints):
    write(engine, _statements(2))
    elsewhere = endpoints(lambda s: (200, {}))
    moving = endpoints(lambda s: (307, {"Location": elsewhere.url.replace("127.0.0.1", "localhost")}))
    _add(engine, "moving", moving.url)
    forwarder = Forwarder(engine, _settings())
    try:
        forwarder.run_once()
    finally:
        forwarder.close()
    assert elsewhere.ids() == []
    assert "not followed" in (status(engine, "moving").last_error or "")


def test_from_now_sends_only_what_comes_after_and_removal_stops_delivery(engine, endpoints):
    write(engine, _statements(4))
    receiver = endpoints(lambda s: (200, {}))
    _add(engine, "fresh", receiver.url, **{"from": "now"})
    later = write(engine, _statements(3))
    forwarder = Forwarder(engine, _settings())
    try:
        forwarder.run_once()
        assert len(receiver.ids()) == 3
        targets.remove(engine, "fresh")
        write(engine, _statements(2))
        forwarder.run_once()
        assert len(receiver.ids()) == 3
    finally:
        forwarder.close()
    assert later


def test_a_webhook_gets_the_progress_changes_it_subscribed_to_and_no_statements(engine, endpoints):
    from projections.progress import ProgressProjection
    from projections.runner import Runner
    from tests.progress_helpers import BOB, MODULE_2

    write(engine, [learner_statement(ANN, "passed", MODULE_1),
                   learner_statement(BOB, "failed", MODULE_2),
                   learner_statement(BOB, "experienced", MODULE_1)])
    receiver = endpoints(lambda s: (204, {}))
    targets.add(engine, {"id": "hr", "kind": "webhook", "url": receiver.url,
                         "secret": "s" * 32, "from": "start", "filter": {"statements": "none"},
                         "views": {"progress": {"statuses": ["passed", "completed"],
                                                "activities": [MODULE_1]}}},
                store_id="default", allow_private=True, views=frozenset({"progress"}))
    forwarder = Forwarder(engine, _settings())
    projector = Runner(engine, [ProgressProjection()])
    try:
        forwarder.run_once()
        assert receiver.received == []  # the view has not folded anything yet
        projector.catch_up()
        forwarder.run_once()
        events = [e for batch in receiver.received for e in batch]
        assert [e["type"] for e in events] == ["view.progress"]
        (record,) = events[0]["records"]
        assert record["status"] == "passed" and record["activityId"] == MODULE_1
        assert record["learner"]["mbox"] == ANN["mbox"]
        forwarder.run_once()  # nothing again: the view checkpoint moved
        assert len([e for batch in receiver.received for e in batch]) == 1
        write(engine, [learner_statement(BOB, "completed", MODULE_1)])
        projector.catch_up()
        forwarder.run_once()
        latest = [e for batch in receiver.received for e in batch][-1]
        assert [r["learner"].get("account", {}).get("name") for r in latest["records"]] == ["bob"]
    finally:
        forwarder.close()
        projector.release()


def test_view_subscriptions_are_for_webhooks_of_views_that_exist(engine):
    from lrs.forwarding.errors import InvalidTarget

    base = {"id": "x", "kind": "webhook", "url": "http://127.0.0.1:9/", "secret": "s" * 32}
    with pytest.raises(InvalidTarget) as refused:
        targets.add(engine, {**base, "views": {"gossip": {}}}, store_id="default",
                    allow_private=True, views=frozenset({"progress"}))
    assert refused.value.path == "views.gossip"
    with pytest.raises(InvalidTarget) as refused:
        targets.add(engine, {**base, "views": {"progress": {"statuses": []}}}, store_id="default",
                    allow_private=True, views=frozenset({"progress"}))
    assert refused.value.path == "views.progress.statuses"
    feeds = frozenset({"progress", "competency"})
    for views, path in (({"competency": {"statuses": ["proficent"]}}, "views.competency.statuses[0]"),
                        ({"competency": {"activities": ["http://a.example/x"]}}, "views.competency.activities"),
                        ({"progress": {"competencies": ["http://a.example/x"]}}, "views.progress.competencies"),
                        ({"competency": {"transitions": "yes"}}, "views.competency.transitions"),
                        ({"progress": {"transitions": True}}, "views.progress.transitions")):
        with pytest.raises(InvalidTarget) as refused:
            targets.add(engine, {**base, "views": views}, store_id="default", allow_private=True, views=feeds)
        assert refused.value.path == path
    lrs_target = {"id": "y", "kind": "lrs", "url": "http://127.0.0.1:9/", "auth": {"bearer": "t"},
                  "views": {"progress": {}}}
    with pytest.raises(InvalidTarget) as refused:
        targets.add(engine, lrs_target, store_id="default", allow_private=True)
    assert refused.value.path == "views"


def _now_scored(who: str, activity: str, scaled: float) -> dict[str, Any]:
    # No timestamp: the evidence is as recent as the statement's storing, so the
    # status (whose confidence decays with time) does not change as the years pass.
    from tests.competency_helpers import ADL, agent

    return {"actor": agent(who), "verb": {"id": ADL + ("passed" if scaled >= 0.7 else "failed")},
            "object": {"objectType": "Activity", "id": activity}, "result": {"score": {"scaled": scaled}}}


def test_a_webhook_hears_when_a_competency_becomes_proficient(engine, endpoints):
    import json

    from lrs import log
    from lrs.competency import config, frameworks
    from projections.competency import CompetencyProjection
    from projections.runner import Runner
    from tests.competency_helpers import (
        ALIGNMENTS,
        CHAT,
        QUIZ_CHAT,
        QUIZ_CHAT_2,
        QUIZ_DATA,
        case_package,
    )

    package = case_package()
    with log.writing(engine, store_id="default") as writer:
        config.import_in(writer, "default", frameworks.case_package(package), json.dumps(package).encode(),
                         {"actor": "test"})
    with log.writing(engine, store_id="default") as writer:
        config.align_in(writer, "default", ALIGNMENTS, {"actor": "test"})
    receiver = endpoints(lambda s: (204, {}))
    became = endpoints(lambda s: (204, {}))
    for name, url, spec in (("hr", receiver.url, {"statuses": ["proficient"]}),
                            ("became", became.url, {"statuses": ["proficient"], "transitions": True})):
        targets.add(engine, {"id": name, "kind": "webhook", "url": url, "secret": "s" * 32,
                             "from": "start", "filter": {"statements": "none"},
                             "views": {"competency": spec}},
                    store_id="default", allow_private=True, views=frozenset({"progress", "competency"}))
    # One passed quiz is not enough evidence (needs-refresh); the second makes Ann
    # proficient in chat. Bob failing the data quiz is developing: not sent.
    write(engine, [_now_scored("ann", QUIZ_CHAT, 0.9), _now_scored("bob", QUIZ_DATA, 0.3)])
    write(engine, [_now_scored("ann", QUIZ_CHAT_2, 0.8)])
    forwarder = Forwarder(engine, _settings())
    projector = Runner(engine, [CompetencyProjection()])
    try:
        projector.catch_up()
        forwarder.run_once()
        events = [e for batch in receiver.received for e in batch]
        assert [e["type"] for e in events] == ["view.competency"]
        (record,) = events[0]["records"]
        assert record["competencyId"] == CHAT and record["status"] == "proficient"
        assert record["learner"]["mbox"] == "mailto:ann@example.org"
        assert record["code"] == "DC-2.1" and record["level"] >= record["threshold"]
        # The status it came from: one passed quiz made it needs-refresh.
        assert record["previousStatus"] == "needs-refresh"
        position = log_events(engine)[-1].position
        assert events[0]["position"] == position
        assert [e["records"] for batch in became.received for e in batch] == [events[0]["records"]]
        forwarder.run_once()  # nothing twice: the view checkpoint moved
        assert len([e for batch in receiver.received for e in batch]) == 1
        # Bob's data quiz now passed, but once: needs-refresh, still not proficient.
        write(engine, [_now_scored("bob", QUIZ_DATA, 1.0)])
        projector.catch_up()
        forwarder.run_once()
        assert len([e for batch in receiver.received for e in batch]) == 1
        # More evidence for Ann, still proficient: sent again by status, not as a transition.
        write(engine, [_now_scored("ann", QUIZ_CHAT, 1.0)])
        projector.catch_up()
        forwarder.run_once()
        again = [e for batch in receiver.received for e in batch]
        assert len(again) == 2
        (record,) = again[1]["records"]
        assert (record["status"], record["previousStatus"]) == ("proficient", "proficient")
        assert len([e for batch in became.received for e in batch]) == 1
    finally:
        forwarder.close()
        projector.release()


def test_a_removed_target_leaves_no_checkpoint_and_its_id_starts_afresh(engine, endpoints):
    from projections.schema import checkpoints

    write(engine, _statements(3))
    receiver = endpoints(lambda s: (200, {}))
    _add(engine, "again", receiver.url)
    forwarder = Forwarder(engine, _settings())
    try:
        forwarder.run_once()
        assert len(receiver.ids()) == 3
        targets.remove(engine, "again")
        _add(engine, "again", receiver.url)  # the whole log again: a new target
        forwarder.run_once()
        assert len(receiver.ids()) == 6
        with engine.connect() as conn:
            names = conn.execute(select(checkpoints.c.name)).scalars().all()
        assert [n for n in names if n.startswith("fw:")] == [targets.load(engine)[0].consumer_name]
    finally:
        forwarder.close()


def test_secrets_are_sealed_at_rest_and_opened_only_with_the_key(engine, endpoints):
    from click.testing import CliRunner

    from cli.main import main as cli_main
    from lrs.schema import forwarding_targets

    key, new_key = "forwarding-key-0123456789", "forwarding-key-rotated-98765"
    write(engine, _statements(2))
    receiver = endpoints(lambda s: (200, {}))
    targets.add(engine, {"id": "sealed", "kind": "lrs", "url": receiver.url,
                         "auth": {"bearer": "token-value-in-the-clear"}, "xapiVersion": "2.0.0"},
                store_id="default", allow_private=True, sealer=sealing.Sealer([key]))
    with engine.connect() as conn:
        stored = conn.execute(select(forwarding_targets.c.secret)).scalar_one()
    assert "token-value" not in stored and sealing.is_sealed(stored)

    # A process without the key does not send (no unauthenticated requests); it
    # says why and retries.
    forwarder = Forwarder(engine, _settings())
    try:
        forwarder.run_once()
    finally:
        forwarder.close()
    assert receiver.received == []
    assert "cannot be read" in _status_row(engine, "sealed").last_error
    with engine.begin() as conn:
        conn.execute(forwarding_status.update().values(next_attempt_at=None))

    # Rotation: the new key first, the old one still opens; rekey seals with the new one.
    result = CliRunner().invoke(cli_main, ["forwarding", "rekey"], env={
        "LRS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "LRS_FORWARDING_KEY": f"{new_key},{key}"})
    assert result.exit_code == 0, result.output
    assert "sealed 1 secret" in result.output
    forwarder = Forwarder(engine, _settings(forwarding_key=new_key))  # the old key dropped
    try:
        forwarder.run_once()
    finally:
        forwarder.close()
    assert len(receiver.ids()) == 2
    assert receiver.authorizations == ["Bearer token-value-in-the-clear"]
