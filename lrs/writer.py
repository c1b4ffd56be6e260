"""Group commit: concurrent writes share one transaction.

Writers are serialised by the log's lock anyway, so instead of each request
taking the lock, beginning, reading the heads and committing on its own, one
writer thread takes whatever requests are waiting and writes them together:
statement requests through ``lrs.statements.write_requests``, other writes (the
document resources) as jobs run one after the other on the same LogWriter. Each
request keeps its own outcome: a 409 or 412 for one does not touch the others. If
the group's transaction fails for any other reason, its requests are retried one
by one, so one bad request cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Engine

from lrs import log
from lrs.errors import LrsError
from lrs.statements import WriteRequest, Written, write_requests

T = TypeVar("T")
# A write that is not a statement request: it runs on the group's LogWriter and
# must raise its refusals (LrsError) before it writes anything.
Job = Callable[[log.LogWriter], Any]

logger = logging.getLogger("lrs.writer")


class _Pending:
    """One request in the queue; ``notify`` runs in the writer thread when it is done."""

    __slots__ = ("done", "error", "notify", "request", "result")

    def __init__(self, request: WriteRequest | Job, notify: Callable[[], object]) -> None:
        self.request = request
        self.notify = notify
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    @property
    def statements(self) -> int:
        return len(self.request.prepared) if isinstance(self.request, WriteRequest) else 1

    def finish(self, outcome: Any) -> None:
        if isinstance(outcome, BaseException):
            self.error = outcome
        else:
            self.result = outcome
        self.done = True
        self.notify()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class GroupWriter:
    def __init__(
        self,
        engine: Engine,
        *,
        lock_timeout_seconds: float = 30.0,
        max_requests: int = 64,
        max_statements: int = 5000,
    ) -> None:
        self.engine = engine
        self.lock_timeout_seconds = lock_timeout_seconds
        self.max_requests = max_requests
        self.max_statements = max_statements
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        # Told the size of each group that committed (metrics).
        self.on_group: Callable[[int], None] | None = None
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def start(self) -> None:
        with self._starting:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lrs-writer", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Finish the requests already queued, then end the thread."""
        with self._starting:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def submit(self, request: WriteRequest) -> Written:
        """Write one request (blocking until its group commits); raise its error."""
        finished = threading.Event()
        pending = _Pending(request, finished.set)
        self.start()
        self._queue.put(pending)
        # A request queued behind a stop has no thread left to take it: whoever waits
        # starts a writer again, so no request waits forever.
        while not finished.wait(0.5):
            self.start()
        return cast(Written, pending.outcome())

    async def submit_async(self, request: WriteRequest) -> Written:
        """``submit`` for the event loop: no thread is held while the group commits."""
        return cast(Written, await self._enqueue_async(request))

    async def run_async(self, job: Callable[[log.LogWriter], T]) -> T:
        """Run a write job in the next group (see Job); its result or its error."""
        return cast(T, await self._enqueue_async(job))

    async def _enqueue_async(self, request: WriteRequest | Job) -> Any:
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()
        pending = _Pending(request, lambda: loop.call_soon_threadsafe(_resolve, finished))
        self.start()
        self._queue.put(pending)
        watchdog = loop.call_later(0.5, self._watch, pending, loop)
        try:
            await finished
        finally:
            watchdog.cancel()
        return pending.outcome()

    def _watch(self, pending: _Pending, loop: asyncio.AbstractEventLoop) -> None:
        # See submit: a request queued behind a stop.
        if not pending.done:
            self.start()
            loop.call_later(0.5, self._watch, pending, loop)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            statements = first.statements
            stopping = False
            while len(group) < self.max_requests and statements < self.max_statements:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                group.append(nxt)
                statements += nxt.statements
            self._write(group)
            if stopping:
                return

    def _write(self, group: list[_Pending]) -> None:
        requests = [p for p in group if isinstance(p.request, WriteRequest)]
        outcomes: dict[int, Any] = {}
        try:
            # A group of one store (the common case) reads its chain head together
            # with the log head.
            stores = {cast(WriteRequest, p.request).credential.store_id for p in requests}
            with log.writing(
                self.engine, lock_timeout_seconds=self.lock_timeout_seconds,
                store_id=stores.pop() if len(stores) == 1 else None,
            ) as writer:
                written = write_requests(writer, [cast(WriteRequest, p.request) for p in requests])
                outcomes.update(zip(map(id, requests), written, strict=True))
                for pending in group:
                    if not isinstance(pending.request, WriteRequest):
                        try:
                            outcomes[id(pending)] = pending.request(writer)
                        except LrsError as refused:  # raised before it wrote anything
                            outcomes[id(pending)] = refused
        except Exception as exc:
            if len(group) == 1:
                group[0].finish(exc)
            else:
                # Find the request at fault: every other one still gets written.
                for pending in group:
                    self._write([pending])
            return
        if self.on_group is not None:
            self.on_group(len(group))
        for pending in group:
            pending.finish(outcomes[id(pending)])


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
