"""Group commit: concurrent requests share transactions but keep their own outcomes."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lrs import log
from lrs.credentials import bootstrap, create_credential
from lrs.errors import Conflict
from lrs.schema import statements
from lrs.statements import WriteRequest, Written, prepare
from lrs.writer import GroupWriter


def statement(verb: str = "http://adlnet.gov/expapi/verbs/completed", **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:learner@example.com"},
        "verb": {"id": verb},
        "object": {"id": "http://example.com/a"},
        **extra,
    }


@pytest.fixture
def writer(engine: Engine):  # type: ignore[no-untyped-def]
    bootstrap(engine, key="k", secret="s", public_url="http://lrs.test")
    group = GroupWriter(engine)
    group.start()
    yield group
    group.stop()


def _credential(engine: Engine):  # type: ignore[no-untyped-def]
    credential, _ = create_credential(engine, public_url="http://lrs.test")
    return credential


def _submit_all(writer: GroupWriter, requests: list[WriteRequest]) -> list[Written | BaseException]:
    outcomes: list[Written | BaseException] = [None] * len(requests)  # type: ignore[list-item]
    barrier = threading.Barrier(len(requests))

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = writer.submit(requests[index])
        except BaseException as exc:  # collected, not raised: the test inspects it
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_requests_keep_their_own_outcomes(engine: Engine, writer: GroupWriter) -> None:
    credential = _credential(engine)
    shared = str(uuid.uuid4())
    requests = []
    for n in range(24):
        if n % 3 == 0:
            # Same id, two different contents: one wins, the other is a 409.
            verb = "http://example.com/verbs/a" if n % 2 else "http://example.com/verbs/b"
            body = statement(verb, id=shared)
        else:
            body = statement(id=str(uuid.uuid4()))
        requests.append(WriteRequest(credential, prepare([body], "1.0.3", batch=False), "1.0.3"))
    outcomes = _submit_all(writer, requests)
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    errors = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, Conflict)]
    assert errors == []
    stored_shared = [o for o, r in zip(outcomes, requests, strict=True)
                     if isinstance(o, Written) and r.prepared[0][0] == shared]
    # 8 requests share an id, 4 with each content: the 4 equal to whichever came
    # first are accepted, the 4 others are 409s.
    assert len(stored_shared) == 4 and len(conflicts) == 4
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(statements)).scalar_one()
    assert count == 16 + 1
    log.verify(engine)


def test_a_failing_request_does_not_fail_its_group(engine: Engine, writer: GroupWriter) -> None:
    credential = _credential(engine)
    good = [
        WriteRequest(credential, prepare([statement()], "1.0.3", batch=False), "1.0.3")
        for _ in range(6)
    ]
    # Not what prepare() produces: writing it raises inside the transaction.
    broken = WriteRequest(credential, [(str(uuid.uuid4()), {"actor": {"mbox": "mailto:x@y.z"}})], "1.0.3")
    outcomes = _submit_all(writer, [*good[:3], broken, *good[3:]])
    assert isinstance(outcomes[3], KeyError)
    assert all(isinstance(o, Written) for i, o in enumerate(outcomes) if i != 3)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(statements)).scalar_one() == 6
    log.verify(engine)


def test_a_request_queued_while_the_writer_stops_is_still_written(engine: Engine) -> None:
    bootstrap(engine, key="k", secret="s", public_url="http://lrs.test")
    credential = _credential(engine)
    group = GroupWriter(engine)
    group.start()
    group.stop()
    # Queued with no thread running: the waiting caller must get it written.
    group._queue.put(None)  # a stale stop sentinel ahead of it, as in a shutdown race
    result = group.submit(WriteRequest(credential, prepare([statement()], "1.0.3", batch=False), "1.0.3"))
    assert isinstance(result, Written)
    group.stop()


def test_async_submitters_get_their_own_outcomes(engine: Engine, writer: GroupWriter) -> None:
    """The API awaits its group commit on the event loop: each task gets its result or
    its error, and one task's 409 leaves the others written."""


    credential = _credential(engine)
    shared = str(uuid.uuid4())
    bodies = [statement(id=str(uuid.uuid4())) for _ in range(10)]
    bodies += [statement("http://example.com/verbs/a", id=shared), statement("http://example.com/verbs/b", id=shared)]
    requests = [WriteRequest(credential, prepare([b], "1.0.3", batch=False), "1.0.3") for b in bodies]

    async def run() -> list[Written | BaseException]:
        return await asyncio.gather(*(writer.submit_async(r) for r in requests), return_exceptions=True)

    outcomes = asyncio.run(run())
    assert [type(o) for o in outcomes[:10]] == [Written] * 10
    assert sorted(type(o).__name__ for o in outcomes[10:]) == ["Conflict", "Written"]
    for outcome, request in zip(outcomes[:10], requests[:10], strict=True):
        assert isinstance(outcome, Written) and outcome.ids == [request.prepared[0][0]]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(statements)).scalar_one() == 10 + 1
    log.verify(engine)


def test_an_async_request_queued_while_the_writer_stops_is_still_written(engine: Engine) -> None:


    bootstrap(engine, key="k", secret="s", public_url="http://lrs.test")
    credential = _credential(engine)
    group = GroupWriter(engine)
    group.start()
    group.stop()
    group._queue.put(None)
    request = WriteRequest(credential, prepare([statement()], "1.0.3", batch=False), "1.0.3")
    result = asyncio.run(asyncio.wait_for(group.submit_async(request), timeout=10))
    assert isinstance(result, Written)
    group.stop()
