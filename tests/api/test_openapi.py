"""The OpenAPI schema describes the xAPI resources as they behave: the parameters
each parser accepts, the version header, the bodies and the answers, with
examples the LRS itself accepts."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from lrs.xapi.params import QUERY_PARAMETERS
from tests.api.conftest import XapiClient

XAPI_OPERATIONS = {
    ("/xapi/about", "get"), ("/xapi/statements", "get"), ("/xapi/statements", "put"),
    ("/xapi/statements", "post"), ("/xapi/activities", "get"), ("/xapi/agents", "get"),
    *{
        (path, method)
        for path in ("/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile")
        for method in ("get", "put", "post", "delete")
    },
}


@pytest.fixture
def schema(client: XapiClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _resolve(schema: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in item:
        return item
    kind, name = item["$ref"].split("/")[-2:]
    return schema["components"][kind][name]


def _parameters(schema: dict[str, Any], path: str, method: str, where: str) -> dict[str, dict[str, Any]]:
    operation = schema["paths"][path][method]
    resolved = [_resolve(schema, p) for p in operation.get("parameters", [])]
    return {p["name"]: p for p in resolved if p["in"] == where}


def test_the_schema_is_valid_openapi_3_1(schema):
    assert schema["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(schema).validate()


def test_every_xapi_operation_is_described(schema):
    documented = {
        (path, method) for path, item in schema["paths"].items() if path.startswith("/xapi")
        for method in item
    }
    assert documented == XAPI_OPERATIONS
    for path, method in XAPI_OPERATIONS:
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["description"], (path, method)
        version = _parameters(schema, path, method, "header")["X-Experience-API-Version"]
        # Communication 3.3: required everywhere but /about (Communication 2.8).
        assert version["required"] is (path != "/xapi/about"), (path, method)


def test_about_needs_no_credentials(schema):
    about = schema["paths"]["/xapi/about"]["get"]
    assert about["security"] == []
    assert set(about["responses"]) == {"200", "400"}


def test_the_statement_query_parameters_are_the_parsers(schema):
    assert set(_parameters(schema, "/xapi/statements", "get", "query")) == QUERY_PARAMETERS
    assert "Accept-Language" in _parameters(schema, "/xapi/statements", "get", "header")
    assert set(_parameters(schema, "/xapi/statements", "put", "query")) == {"statementId"}
    assert _parameters(schema, "/xapi/statements", "put", "query")["statementId"]["required"]


def _sample(name: str) -> str:
    return {"agent": '{"mbox": "mailto:ann@example.com"}', "activityId": "http://example.com/a",
            "activity": "http://example.com/a", "verb": "http://example.com/v"}.get(name, "x")


@pytest.mark.parametrize("operation", sorted(XAPI_OPERATIONS), ids=lambda o: f"{o[1]} {o[0]}")
def test_documented_query_parameters_are_exactly_those_accepted(client, schema, operation):
    path, method = operation
    for name in _parameters(schema, path, method, "query"):
        response = client.request(method.upper(), path, params={name: _sample(name)})
        if response.status_code == 400:
            assert "is not a parameter of this resource" not in response.text, (name, response.text)
    stranger = client.request(method.upper(), path, params={"undocumented": "x"})
    assert stranger.status_code == 400
    assert "is not a parameter of this resource" in stranger.text


def test_document_writes_take_preconditions_and_any_body(schema):
    for path in ("/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile"):
        for method in ("put", "post", "delete"):
            headers = _parameters(schema, path, method, "header")
            assert {"If-Match", "If-None-Match"} <= set(headers), (path, method)
        for method in ("put", "post"):
            operation = schema["paths"][path][method]
            assert "application/json" in operation["requestBody"]["content"]
            assert {"204", "400", "409", "412", "413"} <= set(operation["responses"])
            assert "ETag" in operation["responses"]["204"]["headers"]
        assert "ETag" in schema["paths"][path]["get"]["responses"]["200"]["headers"]
        assert "asOf" in _parameters(schema, path, "get", "query")


def test_statement_answers_carry_their_headers(schema):
    statements = schema["paths"]["/xapi/statements"]
    for method, status in (("get", "200"), ("put", "204"), ("post", "200")):
        assert "X-Experience-API-Consistent-Through" in statements[method]["responses"][status]["headers"]
    assert "X-LRS-Position" in statements["put"]["responses"]["204"]["headers"]
    assert "multipart/mixed" in statements["get"]["responses"]["200"]["content"]
    unauthorized = schema["components"]["responses"]["Unauthorized"]
    assert "WWW-Authenticate" in unauthorized["headers"]


def test_the_examples_are_accepted_by_the_lrs(client, schema):
    """What /docs shows a client works when sent as it is."""
    post = schema["paths"]["/xapi/statements"]["post"]["requestBody"]["content"]
    batch = post["application/json"]["examples"]["a batch"]["value"]
    one = {**batch[0]}
    one.pop("id")
    assert client.post("/xapi/statements", json=[one]).status_code == 200
    multipart = post["multipart/mixed"]["example"]
    response = client.post("/xapi/statements", content=multipart.encode(),
                           headers={"Content-Type": "multipart/mixed; boundary=abc123"})
    assert response.status_code == 200, response.text
    put = schema["paths"]["/xapi/statements"]["put"]["requestBody"]["content"]["application/json"]
    response = client.put("/xapi/statements", params={"statementId": put["example"]["id"]},
                          json=put["example"])
    assert response.status_code == 204, response.text
    document = schema["paths"]["/xapi/activities/state"]["put"]["requestBody"]["content"]
    response = client.put("/xapi/activities/state", json=document["application/json"]["example"],
                          params={"activityId": "http://example.com/a", "stateId": "bookmark",
                                  "agent": '{"mbox": "mailto:ann@example.com"}'})
    assert response.status_code == 204, response.text
