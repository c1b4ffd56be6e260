"""multipart/mixed bodies (RFC 2046): parse requests, build responses.

Parsing uses python-multipart's streaming parser, which does not care about the
multipart subtype; xAPI attachments use ``multipart/mixed`` (Communication 1.5.2).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser

from lrs.errors import BadRequest


@dataclass
class Part:
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


# RFC 2046 5.1.1: a boundary is 1 to 70 characters. Client libraries stay well
# within it (browsers 38, Go 60, urllib3 32, a GUID 36); the parser refuses longer
# ones with an error of its own, raised before parsing starts.
BOUNDARY_MAX = 70


def boundary_of(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if len(value) > BOUNDARY_MAX:
                raise BadRequest(
                    f"the multipart boundary is {len(value)} characters long; RFC 2046 "
                    f"allows at most {BOUNDARY_MAX}"
                )
            if value:
                return value
    raise BadRequest("multipart/mixed needs a boundary parameter (RFC 2046)")


def parse_mixed(body: bytes, content_type: str) -> list[Part]:
    """The parts of a multipart body, in order; malformed framing is a 400."""
    boundary = boundary_of(content_type)
    parts: list[Part] = []
    chunks: list[bytes] = []
    header_name: list[bytes] = []
    header_value: list[bytes] = []
    ended: list[bool] = []

    def on_part_begin() -> None:
        parts.append(Part())
        chunks.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.append(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.append(data[start:end])

    def on_header_end() -> None:
        name = b"".join(header_name).decode("latin-1").strip().lower()
        parts[-1].headers[name] = b"".join(header_value).decode("latin-1").strip()
        header_name.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunks.append(data[start:end])

    def on_part_end() -> None:
        parts[-1].body = b"".join(chunks)
        chunks.clear()

    def on_end() -> None:
        ended.append(True)

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        },
        max_header_count=32,
    )
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # the parser raises its own error types
        raise BadRequest(f"malformed multipart/mixed body: {exc}") from None
    if not parts:
        raise BadRequest("the multipart/mixed body has no parts")
    if not ended:
        raise BadRequest("the multipart/mixed body ends before its closing boundary")
    return parts


def build_mixed(parts: Sequence[tuple[dict[str, str], bytes]]) -> tuple[bytes, str]:
    """A multipart/mixed body and its Content-Type header value."""
    boundary = "lrs-" + secrets.token_hex(16)
    out = bytearray()
    for headers, body in parts:
        out += f"--{boundary}\r\n".encode()
        for name, value in headers.items():
            out += f"{name}: {value}\r\n".encode("latin-1")
        out += b"\r\n" + body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    # A token needs no quotes (RFC 2046 5.1.1), and TinCanJS, the most used browser
    # client, takes everything after "boundary=" verbatim: quotes would break it.
    return bytes(out), f"multipart/mixed; boundary={boundary}"
