"""Webhook signatures: HMAC-SHA-256 over the timestamp and the body.

Each request carries ``X-LRS-Signature: t=<unix seconds>,v1=<hex digest>`` where
the digest is HMAC-SHA-256 keyed with the target's secret over
``<t>.`` followed by the raw body bytes. A receiver recomputes it over the bytes
it received (before parsing them), compares in constant time, and refuses a ``t``
further than a few minutes from its clock: a recorded request replayed later
fails. :func:`verify` does exactly that and is what receivers in Python can use.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-LRS-Signature"
DEFAULT_TOLERANCE = 300


def digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` (now, unless ``timestamp`` is given)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={digest(secret, moment, body)}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        moment = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - moment) > tolerance:
        return False
    expected = digest(secret, moment, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
