"""Change feeds as Server-Sent Events: statements, and the changes of a view.

``GET /feed/statements`` sends each statement of the caller's store as it is
stored (``event: statement``, ``id:`` its log position, ``data:`` the statement as
stored); ``GET /feed/views/{name}`` each change of a view (``event: progress``,
the records one statement moved; ``event: competency``, the learner x competency
cells one event moved, evaluated when it was recorded). A client that reconnects sends the last id it
saw as ``Last-Event-ID`` (browsers' EventSource do it themselves) and gets what
came after it, nothing lost, nothing twice; ``?after=N`` does the same for a first
connection (``after=0``: from the start). Without either, the feed starts now.

Scopes are those of the reads the feeds mirror: GET /statements
(statements/read, all/read, or statements/read/mine for its own statements) and
the views (statements/read, all/read). Not under /xapi: no version header.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from api import viewing
from api.deps import App, Auth, require, run
from lrs import log
from lrs import statements as statement_service
from lrs.errors import InvalidParameter, NotFound
from projections.feeds import VIEW_FEEDS, Change, statements_after

router = APIRouter(prefix="/feed", tags=["change feeds"])
_SSE: dict[int | str, dict[str, object]] = {
    200: {"description": "An endless stream of events (`id:` the log position)",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
}

POLL_SECONDS = 0.5
KEEP_ALIVE_SECONDS = 15.0
BATCH = 500
# EventSource reconnects after this many milliseconds when the stream breaks.
RETRY_MS = 2000


def _start(request: Request, after: str | None) -> int | None:
    """Where to resume: Last-Event-ID, else ?after=, else None (now)."""
    for name, value in (("Last-Event-ID", request.headers.get("last-event-id")), ("after", after)):
        if value is None:
            continue
        if not value.strip().isdigit():
            raise InvalidParameter(name, "must be a log position (a non-negative integer)")
        return int(value.strip())
    return None


def _stream(
    request: Request, start: int, event: str, read: Callable[[int], tuple[list[Change], int]]
) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        position = start
        yield f"retry: {RETRY_MS}\n: resuming after position {position}\n\n".encode()
        quiet = 0.0
        while not await request.is_disconnected():
            changes, reached = await asyncio.to_thread(read, position)
            for at, data in changes:
                yield f"id: {at}\nevent: {event}\ndata: {data}\n\n".encode()
            position = max(position, reached, *(at for at, _ in changes))
            if changes:
                quiet = 0.0
                continue
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS
            if quiet >= KEEP_ALIVE_SECONDS:
                # A comment line: keeps proxies from closing an idle stream.
                quiet = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={
        "Cache-Control": "no-store", "X-Accel-Buffering": "no",  # nginx: send at once
    })


@router.get("/statements", summary="Statements as they are stored (Server-Sent Events)",
            response_class=StreamingResponse, responses=_SSE)
async def statements_feed(
    request: Request, app: App, credential: Auth, after: str | None = Query(None)
) -> StreamingResponse:
    require(credential, "statements/read", "statements/read/mine", "all/read")
    mine = statement_service.visible_authority(credential)
    store = credential.store_id

    def head() -> int:
        with app.engine.connect() as conn:
            return log.head(conn)[0]

    start = _start(request, after)
    if start is None:
        start = await run(app, head)
    return _stream(request, start, "statement",
                   lambda position: statements_after(app.engine, store, position, BATCH, mine=mine))


@router.get("/views/{name}", summary="Changes of a view (Server-Sent Events)",
            response_class=StreamingResponse,
            responses={**_SSE, 404: {"description": "No change feed for this view"}})
async def view_feed(
    name: str, request: Request, app: App, credential: Auth, after: str | None = Query(None)
) -> StreamingResponse:
    if name not in VIEW_FEEDS:
        raise NotFound(f"no change feed for view {name!r} (known: {', '.join(sorted(VIEW_FEEDS))})")
    require(credential, *viewing.READ_SCOPES)
    store, feed = credential.store_id, VIEW_FEEDS[name]
    start = _start(request, after)
    if start is None:
        start = await run(app, app.views.runner.position, name)

    def read(position: int) -> tuple[list[Change], int]:
        # The view's rows change only when a batch commits with its checkpoint, so
        # what is read is complete up to the checkpoint read first.
        reached = app.views.runner.position(name)
        with app.engine.connect() as conn:
            changes = feed(conn, store, position, BATCH)
        return changes, reached if not changes else max(c[0] for c in changes)

    return _stream(request, start, name, read)
