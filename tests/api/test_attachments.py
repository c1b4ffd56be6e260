"""Attachments (Data 2.4.11, Communication 1.5.2) and signed statements (Data 2.6)."""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import Any

import jwt
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from api.multipart import build_mixed, parse_mixed
from lrs.credentials import create_store
from lrs.xapi.attachments import SIGNATURE_USAGE
from tests.api.conftest import statement

TEXT = b"here is a simple attachment"
PNG = bytes(range(256)) * 4  # binary, every byte value


def attachment(content: bytes, *, content_type: str = "text/plain", digest: Any = hashlib.sha256,
               **overrides: Any) -> dict[str, Any]:
    out = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": content_type,
        "length": len(content),
        "sha2": digest(content).hexdigest(),
    }
    out.update(overrides)
    return out


def part(content: bytes, *, content_type: str | None = "text/plain", sha2: str | None = None,
         encoding: str | None = "binary") -> tuple[dict[str, str], bytes]:
    headers = {"X-Experience-API-Hash": sha2 or hashlib.sha256(content).hexdigest()}
    if content_type:
        headers["Content-Type"] = content_type
    if encoding:
        headers["Content-Transfer-Encoding"] = encoding
    return headers, content


def multipart(statements: Any, *parts: tuple[dict[str, str], bytes], first_type: str = "application/json"):
    body, content_type = build_mixed([({"Content-Type": first_type}, orjson.dumps(statements)), *parts])
    return {"content": body, "headers": {"Content-Type": content_type}}


def count(client) -> int:  # type: ignore[no-untyped-def]
    return len(client.get("/xapi/statements").json()["statements"])


def test_multipart_post_stores_a_statement_with_its_attachment(client):
    stmt = statement(attachments=[attachment(TEXT, content_type="text/plain; charset=ascii")])
    response = client.post("/xapi/statements", **multipart(stmt, part(TEXT)))
    assert response.status_code == 200, response.text
    (statement_id,) = response.json()
    got = client.get("/xapi/statements", params={"statementId": statement_id, "attachments": "true"})
    assert got.status_code == 200
    parts = parse_mixed(got.content, got.headers["content-type"])
    assert orjson.loads(parts[0].body)["id"] == statement_id
    assert [p.body for p in parts[1:]] == [TEXT]
    assert parts[1].header("x-experience-api-hash") == hashlib.sha256(TEXT).hexdigest()
    assert parts[1].header("content-transfer-encoding") == "binary"


def test_multipart_put_stores_binary_data_unchanged(client):
    statement_id = "7a4a2c8e-3d3b-4d62-9a51-7bb2a8f0c001"
    stmt = statement(attachments=[attachment(PNG, content_type="image/png")])
    response = client.put(
        "/xapi/statements", params={"statementId": statement_id},
        **multipart(stmt, part(PNG, content_type="image/png")),
    )
    assert response.status_code == 204, response.text
    got = client.get("/xapi/statements", params={"statementId": statement_id, "attachments": "true"})
    parts = parse_mixed(got.content, got.headers["content-type"])
    assert parts[1].body == PNG and parts[1].header("content-type") == "image/png"


def test_sha512_attachment_hashes_are_accepted(client):
    stmt = statement(attachments=[attachment(TEXT, digest=hashlib.sha512)])
    sha = hashlib.sha512(TEXT).hexdigest()
    response = client.post("/xapi/statements", **multipart(stmt, part(TEXT, sha2=sha)))
    assert response.status_code == 200, response.text
    got = client.get("/xapi/statements", params={"statementId": response.json()[0], "attachments": "true"})
    parts = parse_mixed(got.content, got.headers["content-type"])
    assert parts[1].body == TEXT and parts[1].header("x-experience-api-hash") == sha


def test_one_part_serves_several_statements_of_a_batch(client):
    stmts = [statement(attachments=[attachment(TEXT)]) for _ in range(3)]
    response = client.post("/xapi/statements", **multipart(stmts, part(TEXT)))
    assert response.status_code == 200, response.text
    assert len(response.json()) == 3


def test_attachments_by_file_url_need_no_multipart(client):
    stmt = statement(attachments=[attachment(TEXT, fileUrl="http://example.com/files/essay.txt")])
    response = client.post_statements(stmt)
    assert response.status_code == 200, response.text


def test_a_multipart_request_without_attachments_is_accepted(client):
    response = client.post("/xapi/statements", **multipart(statement()))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("json body without the data", lambda: {"json": statement(attachments=[attachment(TEXT)])}),
        ("multipart without the part", lambda: multipart(statement(attachments=[attachment(TEXT)]))),
        ("part not referenced by any attachment", lambda: multipart(statement(), part(TEXT))),
        ("bytes that do not match the hash", lambda: multipart(
            statement(attachments=[attachment(TEXT)]),
            part(b"tampered", sha2=hashlib.sha256(TEXT).hexdigest()))),
        ("content type that does not match the part", lambda: multipart(
            statement(attachments=[attachment(TEXT, content_type="image/png")]), part(TEXT))),
        ("a base64 part", lambda: multipart(
            statement(attachments=[attachment(TEXT)]), part(TEXT, encoding="base64"))),
        ("first part not JSON", lambda: multipart(
            statement(attachments=[attachment(TEXT)]), part(TEXT), first_type="text/plain")),
        ("broken framing", lambda: {"content": b"--x\r\nContent-Type: application/json\r\n\r\n{}",
                                    "headers": {"Content-Type": "multipart/mixed; boundary=x"}}),
    ],
)
def test_bad_attachment_requests_are_400_and_store_nothing(client, case, make):
    before = count(client)
    response = client.post("/xapi/statements", **make())
    assert response.status_code == 400, (case, response.text)
    assert response.json()["message"]
    assert count(client) == before


def test_a_declared_length_that_differs_is_kept_when_the_hash_matches(client):
    # Communication 1.5.2: the hash is the integrity check; content in the field (and
    # the ADL suite) declares lengths that differ from the part's byte count.
    stmt = statement(attachments=[attachment(TEXT, length=5)])
    response = client.post("/xapi/statements", **multipart(stmt, part(TEXT)))
    assert response.status_code == 200, response.text
    got = client.get("/xapi/statements", params={"statementId": response.json()[0], "attachments": "true"})
    parts = parse_mixed(got.content, got.headers["content-type"])
    assert orjson.loads(parts[0].body)["attachments"][0]["length"] == 5
    assert parts[1].body == TEXT


def test_attachment_answers_name_an_unquoted_boundary(client):
    # TinCanJS splits the Content-Type on "boundary=" and takes the rest verbatim.
    response = client.post("/xapi/statements", **multipart(statement(attachments=[attachment(TEXT)]), part(TEXT)))
    got = client.get("/xapi/statements", params={"statementId": response.json()[0], "attachments": "true"})
    content_type = got.headers["content-type"]
    boundary = content_type.split("boundary=")[1]
    assert '"' not in boundary and ";" not in boundary
    assert got.content.startswith(f"--{boundary}\r\n".encode())
    assert got.content.rstrip().endswith(f"--{boundary}--".encode())


@pytest.mark.parametrize("quoted", [True, False])
def test_requests_may_quote_the_boundary_or_not(client, quoted):
    body, content_type = build_mixed(
        [({"Content-Type": "application/json"}, orjson.dumps(statement(attachments=[attachment(TEXT)]))),
         part(TEXT)]
    )
    boundary = content_type.split("boundary=")[1].strip('"')
    sent = f'multipart/mixed; boundary="{boundary}"' if quoted else f"multipart/mixed; boundary={boundary}"
    response = client.post("/xapi/statements", content=body, headers={"Content-Type": sent})
    assert response.status_code == 200, response.text


def test_a_part_without_hash_header_is_named_in_the_error(client):
    body, content_type = build_mixed(
        [({"Content-Type": "application/json"}, orjson.dumps(statement(attachments=[attachment(TEXT)]))),
         ({"Content-Type": "text/plain"}, TEXT)]
    )
    response = client.post("/xapi/statements", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert "X-Experience-API-Hash" in response.json()["message"]


def test_a_query_with_attachments_returns_exactly_the_attachments_of_its_statements(client):
    other = b"another attachment"
    first = statement(verb={"id": "http://example.com/verbs/uploaded"}, attachments=[attachment(TEXT)])
    second = statement(attachments=[attachment(other)])
    assert client.post("/xapi/statements", **multipart(first, part(TEXT))).status_code == 200
    assert client.post("/xapi/statements", **multipart(second, part(other))).status_code == 200
    got = client.get(
        "/xapi/statements",
        params={"verb": "http://example.com/verbs/uploaded", "attachments": "true"},
    )
    parts = parse_mixed(got.content, got.headers["content-type"])
    result = orjson.loads(parts[0].body)
    assert len(result["statements"]) == 1
    assert [p.body for p in parts[1:]] == [TEXT]
    plain = client.get("/xapi/statements", params={"verb": "http://example.com/verbs/uploaded"})
    assert plain.headers["content-type"].startswith("application/json")


def test_attachment_data_stays_in_its_store(client, engine, make_client):
    create_store(engine, "other")
    outsider = make_client(store_id="other")
    stmt = statement(attachments=[attachment(TEXT)])
    assert client.post("/xapi/statements", **multipart(stmt, part(TEXT))).status_code == 200
    # The other store names the same hash by fileUrl only: it must not get the bytes.
    by_url = statement(attachments=[attachment(TEXT, fileUrl="http://example.com/f.txt")])
    (other_id,) = outsider.post_statements(by_url).json()
    got = outsider.get("/xapi/statements", params={"statementId": other_id, "attachments": "true"})
    parts = parse_mixed(got.content, got.headers["content-type"])
    assert len(parts) == 1


# ------------------------------------------------------------------- signatures


@pytest.fixture(scope="module")
def signer():  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LRS test signer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    x5c = [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]
    return key, x5c


def signed_request(original: dict[str, Any], token: bytes, **attachment_overrides: Any):  # type: ignore[no-untyped-def]
    signature = attachment(
        token, content_type="application/octet-stream", usageType=SIGNATURE_USAGE,
        display={"en-US": "Signature"}, **attachment_overrides,
    )
    signed = {**original, "attachments": [*original.get("attachments", []), signature]}
    return multipart(signed, part(token, content_type="application/octet-stream"))


def test_a_correctly_signed_statement_is_accepted(client, signer):
    key, x5c = signer
    original = statement(id="a6b2a0d3-5c1f-4f0e-9d54-0e9d7a3c2b11")
    token = jwt.encode(original, key, algorithm="RS256", headers={"x5c": x5c}).encode()
    response = client.post("/xapi/statements", **signed_request(original, token))
    assert response.status_code == 200, response.text


def test_a_signature_without_certificate_is_checked_for_its_payload_only(client, signer):
    key, _ = signer
    original = statement()
    token = jwt.encode(original, key, algorithm="RS384").encode()
    assert client.post("/xapi/statements", **signed_request(original, token)).status_code == 200


@pytest.mark.parametrize("case", ["payload differs", "forged signature", "HS256", "not a JWS", "wrong content type"])
def test_malformed_or_mismatching_signatures_are_400(client, signer, case):
    key, x5c = signer
    original = statement()
    overrides: dict[str, Any] = {}
    if case == "payload differs":
        token = jwt.encode({**original, "verb": {"id": "http://example.com/other"}}, key,
                           algorithm="RS256", headers={"x5c": x5c}).encode()
    elif case == "forged signature":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(original, other, algorithm="RS256", headers={"x5c": x5c}).encode()
    elif case == "HS256":
        token = jwt.encode(original, "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256").encode()
    elif case == "not a JWS":
        token = b"this is not a signature"
    else:
        token = jwt.encode(original, key, algorithm="RS256", headers={"x5c": x5c}).encode()
        overrides["contentType"] = "application/jose"
    before = count(client)
    kwargs = signed_request(original, token, **overrides)
    if case == "wrong content type":
        kwargs = multipart(
            {**original, "attachments": [attachment(
                token, content_type="application/jose", usageType=SIGNATURE_USAGE,
                display={"en-US": "Signature"})]},
            part(token, content_type="application/jose"),
        )
    response = client.post("/xapi/statements", **kwargs)
    assert response.status_code == 400, (case, response.text)
    assert response.json()["path"].startswith("attachments[0]")
    assert count(client) == before


# ------------------------------------------------------- statements/read/mine


def _attached(response) -> list[bytes]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [p.body for p in parse_mixed(response.content, response.headers["content-type"])[1:]]


def test_read_mine_gets_only_bytes_that_came_with_its_own_statements(client, make_client):
    """A read/mine credential that names another authority's sha2 with a fileUrl only
    must not be handed the bytes that authority uploaded (Communication 4.2: it may
    read only its own statements, so only what arrived with them)."""
    mine = ("statements/write", "statements/read/mine")
    uploader, other = make_client(scopes=mine), make_client(scopes=mine)
    essay = b"the uploader's private essay"
    (uploaded_id,) = uploader.post(
        "/xapi/statements", **multipart(statement(attachments=[attachment(essay)]), part(essay))
    ).json()
    by_url = statement(attachments=[attachment(essay, fileUrl="http://example.com/essay.txt")])
    (other_id,) = other.post_statements(by_url).json()

    for params in ({"statementId": other_id}, {}):
        got = other.get("/xapi/statements", params={**params, "attachments": "true"})
        assert _attached(got) == [], params
    assert _attached(uploader.get("/xapi/statements", params={
        "statementId": uploaded_id, "attachments": "true"})) == [essay]
    assert _attached(uploader.get("/xapi/statements", params={"attachments": "true"})) == [essay]
    # A full reader may read the uploader's statement, so every byte of the store, but
    # still only those the statements of its answer name.
    assert _attached(client.get("/xapi/statements", params={
        "statementId": other_id, "attachments": "true"})) == [essay]
    plain = statement(verb={"id": "http://example.com/verbs/plain"})
    client.post_statements(plain)
    assert _attached(client.get("/xapi/statements", params={
        "verb": "http://example.com/verbs/plain", "attachments": "true"})) == []

    # Once the other credential sends the bytes with a statement of its own, it has them.
    (sent_id,) = other.post(
        "/xapi/statements", **multipart(statement(attachments=[attachment(essay)]), part(essay))
    ).json()
    for statement_id in (sent_id, other_id):
        assert _attached(other.get("/xapi/statements", params={
            "statementId": statement_id, "attachments": "true"})) == [essay]


def test_read_mine_gets_the_bytes_of_its_substatement_attachments(make_client):
    mine = make_client(scopes=("statements/write", "statements/read/mine"))
    data = b"attached to the substatement"
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://example.com/verbs/planned"},
        "object": {"id": "http://example.com/activities/sub"},
        "attachments": [attachment(data)],
    }
    (statement_id,) = mine.post("/xapi/statements", **multipart(statement(object=sub), part(data))).json()
    assert _attached(mine.get("/xapi/statements", params={
        "statementId": statement_id, "attachments": "true"})) == [data]
