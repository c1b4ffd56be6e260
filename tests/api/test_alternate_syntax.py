"""The alternate request syntax of xAPI 1.0.3 (Communication 1.3): everything in a
form-encoded POST body, the intended method in the only query parameter."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from api.app import create_app
from lrs.credentials import bootstrap
from tests.api.conftest import KEY, SECRET, XapiClient, basic, statement
from tests.api.helpers import ATTEMPTED, STATEMENTS, agent, get_statement, new_id, post_one

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form_post(client, method: str, fields: dict[str, str], **query: str):  # type: ignore[no-untyped-def]
    """A request a browser without CORS could send: no custom headers at all."""
    return client.post(
        STATEMENTS, params={"method": method, **query}, content=urlencode(fields),
        headers=FORM, auth=None, version=None,
    )


def _headers_as_fields(version: str = "1.0.3") -> dict[str, str]:
    return {"Authorization": basic(KEY, SECRET), "X-Experience-API-Version": version}


def test_put_and_post_through_the_alternate_syntax_store_statements(client):
    statement_id = new_id()
    fields = {
        "statementId": statement_id,
        "content": json.dumps(statement(actor=agent("ann"))),
        "Content-Type": "application/json",
        **_headers_as_fields(),
    }
    response = _form_post(client, "PUT", fields)
    assert response.status_code == 204, response.text
    assert get_statement(client, statement_id)["actor"] == agent("ann")
    fields = {
        "content": json.dumps([statement(), statement()]),
        "Content-Type": "application/json",
        **_headers_as_fields(),
    }
    response = _form_post(client, "POST", fields)
    assert response.status_code == 200, response.text
    for posted in response.json():
        get_statement(client, posted)


def test_get_through_the_alternate_syntax_queries_with_form_filters(client):
    wanted = post_one(client, statement(verb={"id": ATTEMPTED}))
    post_one(client, statement())
    fields = {"verb": ATTEMPTED, "limit": "5", **_headers_as_fields()}
    response = _form_post(client, "GET", fields)
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["statements"]] == [wanted]
    one = _form_post(client, "GET", {"statementId": wanted, **_headers_as_fields()})
    assert one.status_code == 200
    assert one.json()["id"] == wanted


def test_other_query_parameters_besides_method_are_400(client):
    statement_id = new_id()
    fields = {"content": json.dumps(statement()), "Content-Type": "application/json",
              **_headers_as_fields()}
    response = _form_post(client, "PUT", fields, statementId=statement_id)
    assert response.status_code == 400
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404


def test_the_alternate_syntax_claiming_2_0_is_400(client):
    statement_id = new_id()
    fields = {"statementId": statement_id, "content": json.dumps(statement()),
              "Content-Type": "application/json", **_headers_as_fields("2.0.0")}
    response = _form_post(client, "PUT", fields)
    assert response.status_code == 400
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    fields = {"verb": ATTEMPTED, **_headers_as_fields("2.0.0")}
    assert _form_post(client, "GET", fields).status_code == 400


def test_the_alternate_syntax_still_needs_credentials(client):
    statement_id = new_id()
    fields = {"statementId": statement_id, "content": json.dumps(statement()),
              "Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"}
    assert _form_post(client, "PUT", fields).status_code == 401
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404


# ------------------------------------------------ cross-site forms (CSRF)
#
# A form on any web site can send this syntax, and a browser adds the credentials it
# has cached for the LRS as an Authorization header. Such a header is consent only
# from an origin the operator named in LRS_CORS_ORIGINS; credentials in the form
# body (what TinCanJS sends) count from anywhere, as no other site knows them.

TRUSTED = "http://course.example"
HOSTILE = "http://prize.example"
STATE = "/xapi/activities/state"
STATE_FIELDS = {"activityId": "http://example.com/activities/course-1",
                "agent": '{"mbox": "mailto:learner@example.com"}', "stateId": "bookmark"}


def _browser_form(client, method: str, url: str, fields: dict[str, str],  # type: ignore[no-untyped-def]
                  origin: str | None):
    """A form POST from a browser holding cached credentials for the LRS."""
    headers = {**FORM, **({"Origin": origin} if origin else {})}
    return client.post(url, params={"method": method}, content=urlencode(fields),
                       headers=headers, auth=basic(KEY, SECRET), version=None)


def _writes_and_reads(client, origin: str | None) -> tuple[list, str]:  # type: ignore[no-untyped-def,type-arg]
    """Store a statement, delete the State document, query: the answers, and the id
    of the statement the first one stores if it is accepted."""
    statement_id = new_id()
    version = {"X-Experience-API-Version": "1.0.3"}
    answers = [
        _browser_form(client, "PUT", STATEMENTS, {
            "statementId": statement_id, "content": json.dumps(statement()),
            "Content-Type": "application/json", **version}, origin),
        _browser_form(client, "DELETE", STATE, {**STATE_FIELDS, **version}, origin),
        _browser_form(client, "GET", STATEMENTS, version, origin),
    ]
    return answers, statement_id


def _put_state(client) -> None:  # type: ignore[no-untyped-def]
    response = client.put(STATE, params=STATE_FIELDS, content=b'{"page": 7}',
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 204, response.text


def _assert_refused(client, origin: str | None) -> None:  # type: ignore[no-untyped-def]
    answers, statement_id = _writes_and_reads(client, origin)
    for response in answers:
        assert response.status_code == 401, (origin, response.request.url)
        assert "Authorization" in response.json()["message"]
        # A Basic challenge would make the browser prompt, then cache what is typed.
        assert not response.headers["WWW-Authenticate"].lower().startswith("basic")
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    assert client.get(STATE, params=STATE_FIELDS).content == b'{"page": 7}'


def test_cached_credentials_do_not_count_in_a_form_from_another_site(client):
    _put_state(client)
    # LRS_CORS_ORIGINS is "*" here: a wildcard lets any page read answers, it names
    # no origin the operator trusts. "null" is the origin of sandboxed frames and
    # local files; requests without Origin may come from browsers that omit it.
    for origin in (HOSTILE, "null", None):
        _assert_refused(client, origin)


def test_credentials_in_the_form_body_count_from_any_site(client):
    statement_id = new_id()
    fields = {"statementId": statement_id, "content": json.dumps(statement()),
              "Content-Type": "application/json", **_headers_as_fields()}
    # The cached header belongs to another credential: the form body's wins.
    response = client.post(
        STATEMENTS, params={"method": "PUT"}, content=urlencode(fields),
        headers={**FORM, "Origin": HOSTILE}, auth=basic("someone-else", "x"), version=None,
    )
    assert response.status_code == 204, response.text
    assert get_statement(client, statement_id)["id"] == statement_id


def test_an_origin_named_in_the_cors_setting_may_use_the_authorization_header(settings, engine):
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    trusting = dataclasses.replace(settings, cors_origins=(TRUSTED, "null"))
    with TestClient(create_app(trusting, engine), base_url="http://lrs.test") as http:
        client = XapiClient(http)
        _put_state(client)
        for origin in (HOSTILE, "null", None):
            _assert_refused(client, origin)
        answers, statement_id = _writes_and_reads(client, TRUSTED)
        assert [r.status_code for r in answers] == [204, 204, 200]
        assert get_statement(client, statement_id)["id"] == statement_id
        assert client.get(STATE, params=STATE_FIELDS).status_code == 404
