"""Attachment data: match multipart parts to Attachment objects (Data 2.4.11, Comm. 1.5.2).

A part is identified only by its X-Experience-API-Hash, which must be the SHA-2 of
its bytes (1.5.2.s1.b4); every Attachment without a fileUrl needs a part, and
every part must belong to an Attachment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lrs.errors import BadRequest, InvalidStatement
from lrs.xapi.document_rules import media_type

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
_ALGORITHMS = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


@dataclass(frozen=True)
class AttachmentData:
    sha2: str  # lowercase hex, as declared
    content: bytes
    content_type: str | None


def sha2_of(declared: str, content: bytes) -> str | None:
    """The digest of ``content`` with the SHA-2 function the declared hash's length names."""
    algorithm = _ALGORITHMS.get(len(declared))
    return algorithm(content).hexdigest() if algorithm else None


def attachments_in(statement: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, Attachment) for the statement's attachments and its SubStatement's."""
    base = f"{prefix}." if prefix else ""
    for index, attachment in enumerate(statement.get("attachments") or ()):
        yield f"{base}attachments[{index}]", attachment
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        for index, attachment in enumerate(obj.get("attachments") or ()):
            yield f"{base}object.attachments[{index}]", attachment


def read_parts(parts: Sequence[tuple[Mapping[str, str], bytes]]) -> dict[str, AttachmentData]:
    """Attachment parts by declared hash; a part whose bytes do not match is a 400."""
    found: dict[str, AttachmentData] = {}
    for index, (headers, body) in enumerate(parts, start=1):
        declared = (headers.get("x-experience-api-hash") or "").strip().lower()
        if not declared:
            raise BadRequest(
                f"multipart part {index} has no X-Experience-API-Hash header (Communication 1.5.2)"
            )
        encoding = (headers.get("content-transfer-encoding") or "binary").strip().lower()
        if encoding != "binary":
            raise BadRequest(
                f"multipart part {index}: Content-Transfer-Encoding must be binary, "
                f"not {encoding!r} (Communication 1.5.2)"
            )
        actual = sha2_of(declared, body)
        if actual is None:
            raise BadRequest(f"multipart part {index}: X-Experience-API-Hash is not a SHA-2 hex digest")
        if actual != declared:
            raise BadRequest(
                f"multipart part {index}: its bytes do not match X-Experience-API-Hash {declared}"
            )
        found[declared] = AttachmentData(declared, body, headers.get("content-type"))
    return found


def match(
    statements: Sequence[tuple[str, dict[str, Any]]], data: Mapping[str, AttachmentData]
) -> set[str]:
    """Check every Attachment against the data; returns the hashes used.

    ``statements`` are (path prefix, statement) pairs. Attachments with neither a
    fileUrl nor a part, content-type mismatches, and parts no Attachment names are
    all rejected (Communication 1.5.2.s3.b5, 1.5.2.s2.b2.b7).
    """
    used: set[str] = set()
    for prefix, statement in statements:
        for path, attachment in attachments_in(statement, prefix):
            sha2 = attachment["sha2"].lower()
            part = data.get(sha2)
            if part is None:
                if "fileUrl" not in attachment:
                    raise InvalidStatement(
                        f"{path}.sha2",
                        "no attachment data: send it as a multipart/mixed part with this "
                        "X-Experience-API-Hash, or give a fileUrl (Communication 1.5.2)",
                    )
                continue
            # The part's X-Experience-API-Hash is the integrity check (1.5.2.s1.b4);
            # Data 2.4.11 asks no LRS to refuse a declared length that differs, and
            # content in the field declares such lengths: it is kept as given.
            if part.content_type and media_type(part.content_type) != media_type(attachment["contentType"]):
                raise InvalidStatement(
                    f"{path}.contentType",
                    f"does not match the part's Content-Type {part.content_type!r} "
                    "(Communication 1.5.2.s2.b2.b7)",
                )
            used.add(sha2)
    unused = sorted(set(data) - used)
    if unused:
        raise BadRequest(
            f"attachment part with hash {unused[0]} belongs to no Attachment of these statements "
            "(Communication 1.5.2)"
        )
    return used
