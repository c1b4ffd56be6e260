"""xAPI versions: request negotiation (Communication 3.3) and statement versions.

Every 1.0.x request is served with 1.0.3 semantics (real content hard-codes 1.0.0
or 1.0.2 headers); every 2.0.x request with 2.0.0 semantics.
"""

from __future__ import annotations

import re

from lrs.errors import VersionNotSupported

V1 = "1.0.3"
V2 = "2.0.0"
# Newest first: /about lists them, and a request without a header to /about gets V2.
SUPPORTED = (V2, V1)

_HEADER = re.compile(r"(1|2)\.0(?:\.(\d+))?", re.ASCII)
# Data 2.4.10: a statement version is "formatted as laid out for the API version
# header" (1.0.3 Communication 3.3), which names "1.0" or "1.0.x"; otherwise Semantic
# Versioning 1.0.0 with the xAPI major.minor prefix. 2.0 names no bare "2.0".
_STATEMENT_VERSION = re.compile(
    r"1\.0|(1|2)\.0\.\d+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?", re.ASCII
)


def negotiate(header: str | None) -> str:
    """The version a request is served with, from its X-Experience-API-Version."""
    if header is None or not header.strip():
        raise VersionNotSupported(
            "the X-Experience-API-Version header is required (xAPI Communication 3.3)"
        )
    match = _HEADER.fullmatch(header.strip())
    if not match:
        raise VersionNotSupported(
            f"X-Experience-API-Version {header.strip()!r} is not supported; "
            f"use one of {', '.join(SUPPORTED)} (xAPI Communication 3.3)"
        )
    return V1 if match.group(1) == "1" else V2


def is_v2(version: str) -> bool:
    return version.startswith("2.")


def statement_version_allowed(value: str, request_version: str) -> bool:
    """Data 2.4.10: 1.0 and 1.0.x are always accepted; 2.0.x only by the 2.0 rules."""
    match = _STATEMENT_VERSION.fullmatch(value)
    if not match:
        return False
    return match.group(1) != "2" or is_v2(request_version)


def default_statement_version(request_version: str) -> str:
    """The version a statement without one is stored with (Data 2.4.10)."""
    return "2.0.0" if is_v2(request_version) else "1.0.0"
