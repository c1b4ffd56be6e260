"""One request to a target: statements to another LRS, or events to a webhook.

What an answer means (the same for both kinds):

- 2xx: delivered.
- 408, 429 (with its Retry-After), 5xx, a time-out or a network error: the target
  is unavailable; the batch is tried again later (:class:`Unavailable`).
- 401, 403, 404, 405 and a redirect that is not followed: the target is wrongly
  configured, not the statements wrong; retried the same way, until an operator
  fixes it or the target is paused, so a bad password never discards statements.
- any other 4xx (400, 409, 413...): the target refuses these statements
  (:class:`Refused`); the consumer isolates the refused ones and skips them.

Redirects are followed only to the same scheme, host and port (307 and 308, which
keep the method and body), at most three; answers are read up to a small limit.
"""

from __future__ import annotations

import base64
import email.utils
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

import lrs
from lrs.forwarding import signing, urls
from lrs.forwarding.errors import InvalidTarget
from lrs.forwarding.targets import Target

_CONFIG_ERRORS = {401, 403, 404, 405}
USER_AGENT = f"lrs-forwarder/{lrs.__version__}"


class Unavailable(Exception):
    """Try again later (``retry_after`` seconds, when the target named them)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Refused(Exception):
    """The target answered that it will never accept this request (a 4xx)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (RFC 9110 10.2.3): delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _read_limited(response: httpx.Response, limit: int) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit].decode("utf-8", "replace")


def send(client: httpx.Client, request: Request, *, allow_private: bool, limit: int) -> None:
    """POST the request; returns on 2xx, raises Unavailable or Refused otherwise."""
    url = request.url
    origin = urlsplit(url)[:2]
    for _ in range(4):
        try:
            urls.check(url, allow_private=allow_private)
        except InvalidTarget as exc:
            raise Unavailable(f"target address refused: {exc.rule}") from None
        try:
            with client.stream("POST", url, content=request.body, headers=request.headers) as response:
                status = response.status_code
                body = _read_limited(response, limit)
                location = response.headers.get("location")
                wait = retry_after(response.headers.get("retry-after"))
        except httpx.TimeoutException:
            raise Unavailable(f"no answer from {url} in time") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"{url}: {type(exc).__name__}: {exc}") from None
        if 200 <= status < 300:
            return
        if status in (307, 308) and location:
            following = urljoin(url, location)
            if urlsplit(following)[:2] == origin and urlsplit(following).port == urlsplit(url).port:
                url = following
                continue
            raise Unavailable(f"HTTP {status} to {following}: redirects to another host are not followed")
        if status in (408, 429) or status >= 500:
            raise Unavailable(f"HTTP {status}: {body[:500]}", wait)
        if status in _CONFIG_ERRORS or 300 <= status < 400:
            raise Unavailable(f"HTTP {status} (check the target's URL and credentials): {body[:500]}")
        raise Refused(status, body[:1000])
    raise Unavailable(f"too many redirects from {request.url}")


def _secret(target: Target) -> str:
    if target.secret is None:
        # Sealed with a key this process lacks: wait (and say so) rather than send
        # unsigned or unauthenticated requests.
        raise Unavailable(target.secret_error or "the target has no secret")
    return target.secret


def _authorization(target: Target) -> dict[str, str]:
    if target.auth_type == "basic":
        pair = f"{target.username}:{_secret(target)}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if target.auth_type == "bearer":
        return {"Authorization": f"Bearer {_secret(target)}"}
    return {}


def lrs_request(
    target: Target, statements: list[dict[str, Any]], attachments: dict[str, tuple[str, bytes]]
) -> Request:
    """POST /statements with the statements in order, as multipart/mixed when some
    of their attachments' bytes go along (xAPI Communication 1.5.2)."""
    headers = {
        "X-Experience-API-Version": target.xapi_version,
        "User-Agent": USER_AGENT,
        **_authorization(target),
    }
    payload = orjson.dumps(statements)
    if not attachments:
        return Request(target.statements_url, payload, {**headers, "Content-Type": "application/json"})
    boundary = uuid.uuid4().hex
    parts = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode() + payload + b"\r\n"
    ]
    for sha2, (content_type, content) in attachments.items():
        parts.append(
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode() + content + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return Request(target.statements_url, body,
                   {**headers, "Content-Type": f'multipart/mixed; boundary="{boundary}"'})


def webhook_request(target: Target, events: list[dict[str, Any]]) -> Request:
    """One JSON body with the events in log order, signed (lrs.forwarding.signing)."""
    first, last = events[0]["position"], events[-1]["position"]
    body = orjson.dumps({"target": target.id, "delivery": f"{target.id}:{first}-{last}",
                         "events": events})
    secret = _secret(target)
    return Request(target.url, body, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-LRS-Delivery": f"{target.id}:{first}-{last}",
        signing.HEADER: signing.sign(secret, body),
    })
