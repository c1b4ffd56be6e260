"""Signed statements (Data 2.6): a JWS attachment whose payload is the statement.

The signature must use RS256, RS384 or RS512 in compact serialisation; its payload
must be equivalent to the statement without the signature attachment (Data 2.3.1
comparison); when the JWS header carries an x5c chain, the signature is verified
against the first certificate.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import jwt
import orjson
from cryptography import x509

from lrs.errors import InvalidStatement
from lrs.xapi.attachments import SIGNATURE_USAGE, AttachmentData
from lrs.xapi.document_rules import media_type
from lrs.xapi.statement_rules import equivalent

ALGORITHMS = ("RS256", "RS384", "RS512")


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def without_signature(statement: dict[str, Any], index: int) -> dict[str, Any]:
    """The statement as it was before this signature attachment was added."""
    out = dict(statement)
    rest = [a for i, a in enumerate(statement["attachments"]) if i != index]
    if rest:
        out["attachments"] = rest
    else:
        del out["attachments"]
    return out


def verify_statement(statement: dict[str, Any], data: Mapping[str, AttachmentData], path: str = "") -> None:
    base = f"{path}." if path else ""
    for index, attachment in enumerate(statement.get("attachments") or ()):
        if attachment["usageType"] != SIGNATURE_USAGE:
            continue
        where = f"{base}attachments[{index}]"
        if media_type(attachment["contentType"]) != "application/octet-stream":
            raise InvalidStatement(
                f"{where}.contentType", "a signature must be application/octet-stream (Data 2.6)"
            )
        part = data.get(attachment["sha2"].lower())
        if part is None:
            raise InvalidStatement(
                f"{where}.sha2", "the signature's JWS must be sent as an attachment part (Data 2.6)"
            )
        _verify(part.content, without_signature(statement, index), where)


def _verify(token_bytes: bytes, original: dict[str, Any], where: str) -> None:
    try:
        token = token_bytes.decode("ascii").strip()
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = orjson.loads(_b64url(header_b64))
        payload = orjson.loads(_b64url(payload_b64))
        _b64url(signature_b64)
    except (UnicodeDecodeError, ValueError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidStatement(where, "the signature is not a JWS in compact serialisation (Data 2.6)") from None
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        raise InvalidStatement(where, "the JWS must use RS256, RS384 or RS512 (Data 2.6)")
    if not isinstance(payload, dict):
        raise InvalidStatement(where, "the JWS payload must be the signed statement (Data 2.6)")
    ids_differ = "id" in payload and str(payload["id"]).lower() != str(original.get("id", "")).lower()
    if ids_differ or not equivalent(payload, original):
        raise InvalidStatement(
            where, "the JWS payload does not match the statement (Data 2.6, 2.3.1 comparison)"
        )
    chain = header.get("x5c")
    if chain is None:
        return
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        jwt.PyJWS().decode_complete(token, key=certificate.public_key(), algorithms=[header["alg"]])  # type: ignore[arg-type]
    except (jwt.InvalidTokenError, ValueError, TypeError, IndexError, binascii.Error):
        raise InvalidStatement(
            where, "the JWS signature does not verify against its x5c certificate (Data 2.6)"
        ) from None
