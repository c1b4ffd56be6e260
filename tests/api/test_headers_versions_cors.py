"""Version negotiation (Communication 3.3), X-Experience-API-Consistent-Through and
Last-Modified (2.1.3.s2.b5, b8), CORS for browser clients (Communication 1.3 goal of
cross-origin tracking) and the About resource (2.8)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from tests.api.conftest import statement
from tests.api.helpers import (
    STATEMENTS,
    get_statement,
    new_id,
    parse_iso,
    post_one,
)

VERSION = "X-Experience-API-Version"
THROUGH = "X-Experience-API-Consistent-Through"
ORIGIN = "http://elsewhere.example"

# ------------------------------------------------------------------- versions


def test_the_version_header_is_required_on_statement_requests(client):
    statement_id = new_id()
    answers = [
        client.get(STATEMENTS, version=None),
        client.post_statements(statement(), version=None),
        client.put(STATEMENTS, params={"statementId": statement_id}, json=statement(), version=None),
        client.head(STATEMENTS, version=None),
    ]
    for response in answers:
        assert response.status_code == 400, response.request.method
        assert VERSION in response.headers
    assert client.get(STATEMENTS).json()["statements"] == []


def test_a_refusal_for_a_missing_version_names_the_default_version(client):
    # 1.0.x-era clients read the answer's version; 1.0.3 is also a version 2.0
    # clients accept (README: LRS_DEFAULT_XAPI_VERSION).
    for response in (
        client.get(STATEMENTS, version=None),
        client.get("/xapi/activities/state", version=None),
        client.get(STATEMENTS, version="3.0.0"),
    ):
        assert response.status_code == 400
        assert response.headers[VERSION] == "1.0.3"


def test_the_default_version_is_a_setting(settings, engine):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(replace(settings, default_xapi_version="2.0.0"), engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        response = http.get(STATEMENTS)
    assert response.status_code == 400
    assert response.headers[VERSION] == "2.0.0"


def test_1_0_x_version_headers_are_accepted_and_answered_1_0_3(client):
    for sent in ("1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3"):
        response = client.get(STATEMENTS, version=sent)
        assert response.status_code == 200, sent
        assert response.headers[VERSION] == "1.0.3", sent
        posted = client.post_statements(statement(), version=sent)
        assert posted.status_code == 200, sent
        assert posted.headers[VERSION] == "1.0.3", sent


def test_2_0_version_headers_are_accepted_and_answered_2_0_0(client):
    for sent in ("2.0", "2.0.0"):
        response = client.get(STATEMENTS, version=sent)
        assert response.status_code == 200, sent
        assert response.headers[VERSION] == "2.0.0", sent


def test_unsupported_version_headers_are_400(client):
    for sent in ("0.9", "0.95", "1.1.0", "1.1", "3.0.0", "2.1.0", "1", "1.0.x", "latest", ""):
        response = client.get(STATEMENTS, version=sent)
        assert response.status_code == 400, sent
        assert VERSION in response.headers
        response = client.post_statements(statement(), version=sent)
        assert response.status_code == 400, sent
    assert client.get(STATEMENTS).json()["statements"] == []


# ----------------------------------------------------- consistent-through, dates


def test_consistent_through_is_on_error_answers_of_the_statement_resource(client, make_client):
    # Communication 2.1.3.s2.b5: every response of the Statement Resource.
    voided = post_one(client, statement())
    client.post_statements(
        statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                  object={"objectType": "StatementRef", "id": voided})
    )
    writer_only = make_client(scopes=("statements/write",))
    answers = {
        "unknown statementId": (client.get(STATEMENTS, params={"statementId": new_id()}), 404),
        "voided statementId": (client.get(STATEMENTS, params={"statementId": voided}), 404),
        "no credentials": (client.get(STATEMENTS, auth=None), 401),
        "no version": (client.get(STATEMENTS, version=None), 400),
        "bad parameter": (client.get(STATEMENTS, params={"limit": "x"}), 400),
        "bad statement": (client.post_statements({"verb": {}}), 400),
        "no scope": (writer_only.get(STATEMENTS), 403),
        "HEAD unknown": (client.head(STATEMENTS, params={"statementId": new_id()}), 404),
    }
    for name, (response, status) in answers.items():
        assert response.status_code == status, (name, response.text)
        through = response.headers.get(THROUGH)
        assert through is not None, name
        stored = get_statement(client, voided, statementId=None, voidedStatementId=voided)["stored"]
        assert parse_iso(through) >= parse_iso(stored), name


def test_consistent_through_is_on_every_statement_response_and_covers_what_was_written(client):
    put_id = new_id()
    put = client.put(STATEMENTS, params={"statementId": put_id}, json=statement())
    posted = client.post_statements([statement(), statement()])
    answers = {
        "PUT": (put, [put_id]),
        "POST": (posted, posted.json()),
        "GET one": (client.get(STATEMENTS, params={"statementId": put_id}), [put_id]),
        "GET query": (client.get(STATEMENTS), [put_id, *posted.json()]),
        "HEAD": (client.head(STATEMENTS), [put_id, *posted.json()]),
    }
    for name, (response, ids) in answers.items():
        assert response.status_code < 300, name
        through = parse_iso(response.headers[THROUGH])  # ISO 8601 with a zone
        for statement_id in ids:
            stored = parse_iso(get_statement(client, statement_id)["stored"])
            assert through >= stored, name


def test_last_modified_of_a_single_statement_is_its_stored_time(client):
    statement_id = post_one(client, statement(timestamp="2015-01-01T00:00:00Z"))
    response = client.get(STATEMENTS, params={"statementId": statement_id})
    header = response.headers["Last-Modified"]
    assert header.endswith(" GMT")
    modified = parsedate_to_datetime(header)
    stored = parse_iso(response.json()["stored"])
    assert modified == stored.replace(microsecond=0)


# ------------------------------------------------------------------------ CORS


def test_a_cross_origin_preflight_is_allowed(http):
    response = http.options(STATEMENTS, headers={
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, X-Experience-API-Version, Content-Type, If-Match",
    })
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] in ("*", ORIGIN)
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "x-experience-api-version", "content-type", "if-match"} <= allowed
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "HEAD", "PUT", "POST"} <= methods


def test_cross_origin_responses_expose_the_xapi_headers(client):
    post_one(client, statement())
    response = client.get(STATEMENTS, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", ORIGIN)
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "last-modified", "x-experience-api-version",
            "x-experience-api-consistent-through"} <= exposed


def test_error_answers_carry_cors_headers(client):
    answers = [
        client.get(STATEMENTS, auth=None, headers={"Origin": ORIGIN}),
        client.get(STATEMENTS, version=None, headers={"Origin": ORIGIN}),
        client.get(STATEMENTS, params={"Verb": "x"}, headers={"Origin": ORIGIN}),
        client.get(STATEMENTS, params={"statementId": new_id()}, headers={"Origin": ORIGIN}),
        client.post_statements({"actor": {}}, headers={"Origin": ORIGIN}),
    ]
    assert [r.status_code for r in answers] == [401, 400, 400, 404, 400]
    for response in answers:
        assert response.headers["access-control-allow-origin"] in ("*", ORIGIN)
        assert "access-control-expose-headers" in response.headers


def test_a_wildcard_origin_never_allows_credentials(client, http):
    preflight = http.options(STATEMENTS, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    })
    simple = client.get(STATEMENTS, headers={"Origin": ORIGIN, "Cookie": "session=1"})
    for response in (preflight, simple):
        assert response.headers.get("access-control-allow-credentials", "").lower() != "true"
        assert response.headers["access-control-allow-origin"] == "*"


# ----------------------------------------------------------------------- About


def test_about_needs_no_credentials_and_no_version_header(http):
    response = http.get("/xapi/about")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"version", "extensions"}
    assert {"1.0.3", "2.0.0"} <= set(body["version"])
    assert VERSION in response.headers


def test_about_does_not_reject_a_request_for_its_version_header(http):
    for sent in ("0.95", "3.0.0", "garbage"):
        response = http.get("/xapi/about", headers={VERSION: sent})
        assert response.status_code == 200, sent
        assert "version" in response.json()

