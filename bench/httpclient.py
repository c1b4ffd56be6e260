"""A minimal HTTP/1.1 keep-alive client for load generation.

Why not httpx or aiohttp: on a 2-core machine every microsecond the client spends
is taken from the server under test. This client pre-encodes request heads, parses
answers with ``httptools`` (llhttp, the parser uvicorn itself uses) and runs on
uvloop, which keeps it at a few tens of microseconds of CPU per request.

One :class:`Connection` carries one request at a time (no pipelining), like a
browser tab or an LMS worker does; concurrency comes from many connections.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass

import httptools


class HttpError(Exception):
    """The connection failed or the answer could not be parsed."""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    headers: dict[bytes, bytes] | None = None


class _Protocol(asyncio.Protocol):
    __slots__ = (
        "_body",
        "_headers",
        "_keep_headers",
        "_parser",
        "_timer",
        "_waiter",
        "closed",
        "keep_alive",
        "loop",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[Response] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._headers: dict[bytes, bytes] | None = None
        self._keep_headers = False
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False
        self.keep_alive = True

    # asyncio.Protocol -------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"bad HTTP answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpError(f"connection lost: {exc or 'closed by server'}"))

    # httptools callbacks ----------------------------------------------------
    def on_message_begin(self) -> None:
        self._body = []
        self._headers = {} if self._keep_headers else None

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._headers is not None:
            self._headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        waiter = self._waiter
        self._waiter = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(status, body, self._headers))

    # ------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiter = self._waiter
        self._waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _on_timeout(self) -> None:
        self._timer = None
        self._fail(HttpError("timed out waiting for the answer"))
        self.close()

    def send(self, data: bytes, timeout: float, keep_headers: bool) -> asyncio.Future[Response]:
        waiter = self.loop.create_future()
        self._waiter = waiter
        self._keep_headers = keep_headers
        self._timer = self.loop.call_later(timeout, self._on_timeout)
        assert self.transport is not None
        self.transport.write(data)
        return waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Connection:
    """One keep-alive connection to ``host:port``; reconnects when the server closes it."""

    def __init__(self, host: str, port: int, *, timeout: float = 60.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._proto: _Protocol | None = None
        self.connects = 0

    async def _ensure(self) -> _Protocol:
        proto = self._proto
        if proto is None or proto.closed or not proto.keep_alive:
            if proto is not None:
                proto.close()
            loop = asyncio.get_running_loop()
            _, proto = await loop.create_connection(lambda: _Protocol(loop), self.host, self.port)
            self._proto = proto
            self.connects += 1
        return proto

    async def send(self, raw: bytes, *, keep_headers: bool = False) -> Response:
        proto = await self._ensure()
        return await proto.send(raw, self.timeout, keep_headers)

    def close(self) -> None:
        if self._proto is not None:
            self._proto.close()
            self._proto = None


class RequestBuilder:
    """Encodes requests with the fixed headers of one benchmark client."""

    def __init__(self, host: str, port: int, key: str, secret: str, version: str = "1.0.3") -> None:
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self._common = (
            f"Host: {host}:{port}\r\n"
            f"Authorization: Basic {token}\r\n"
            f"X-Experience-API-Version: {version}\r\n"
            "Accept: application/json\r\n"
            "User-Agent: lrs-bench/1\r\n"
        ).encode()

    def build(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._common
        if body is None:
            if method in ("POST", "PUT"):
                return head + b"Content-Length: 0\r\n\r\n"
            return head + b"\r\n"
        return (
            head
            + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )


__all__ = ["Connection", "HttpError", "RequestBuilder", "Response"]
