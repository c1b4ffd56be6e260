"""Security headers. Documents come back with the Content-Type they were stored with
(Communication 1.5), so a State document may be HTML with a script in it: a browser
must never run it with the LRS's origin. Every answer, errors and CORS preflights
included, says so; the Swagger UI at /docs keeps the scripts it needs."""

from __future__ import annotations

from tests.api.conftest import statement
from tests.api.documents_helpers import each_resource, get, put
from tests.api.helpers import STATEMENTS, new_id

HTML = b"<!doctype html><title>notes</title><script>fetch('/xapi/statements')</script>"
EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
API_POLICY = {"default-src 'none'", "frame-ancestors 'none'", "sandbox"}


def _policy(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {d.strip() for d in response.headers.get("content-security-policy", "").split(";")}


def _assert_locked_down(response) -> None:  # type: ignore[no-untyped-def]
    where = f"{response.request.method} {response.request.url} {response.status_code}"
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (where, name)
    assert _policy(response) == API_POLICY, where


@each_resource
def test_a_stored_html_document_is_served_sandboxed(client, resource):
    assert put(client, resource, "notes", HTML, "text/html").status_code == 204
    for method in ("GET", "HEAD"):
        response = client.request(method, resource.path, params=resource.params("notes"))
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html"
        _assert_locked_down(response)
    assert get(client, resource, "notes").content == HTML


def test_every_kind_of_answer_carries_the_headers(client, http, app):
    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/xapi/broken", broken)
    statement_id = new_id()
    answers = [
        http.get("/xapi/about"),
        client.put(STATEMENTS, params={"statementId": statement_id}, json=statement()),
        client.get(STATEMENTS, params={"statementId": statement_id}),
        client.get(STATEMENTS, auth=None),
        client.get(STATEMENTS, version=None),
        client.get(STATEMENTS, params={"statementId": new_id()}),
        client.post(STATEMENTS, params={"method": "PUT", "x": "y"}, content=b"",
                    headers={"Content-Type": "application/x-www-form-urlencoded"}),
        client.delete(STATEMENTS),
        client.get("/xapi/broken"),
        client.get("/no/such/path"),
        http.get("/openapi.json"),
        http.options(STATEMENTS, headers={
            "Origin": "http://course.example", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "Authorization, Content-Type"}),
        http.options(STATEMENTS, headers={
            "Origin": "http://course.example", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Not-Allowed"}),
    ]
    assert [r.status_code for r in answers] == [
        200, 204, 200, 401, 400, 404, 400, 405, 500, 404, 200, 200, 400
    ]
    for response in answers:
        _assert_locked_down(response)


def test_the_swagger_ui_keeps_its_scripts(http):
    # /docs loads Swagger UI from a CDN and starts it with an inline script; a policy
    # with default-src, script-src or sandbox would stop it. It may not be framed.
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = http.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        for name, value in EVERYWHERE.items():
            assert response.headers.get(name) == value, (path, name)
        assert _policy(response) == {"frame-ancestors 'none'"}, path
