"""Security headers. Documents come back with the Content-Type they were stored with
(Communication 1.5), so a State document may be HTML with a script in it: a browser
must never run it with the LRS's origin. Every answer, errors and CORS preflights
included, says so; the pages at /docs and /dashboard/ run this server's own scripts only."""

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


SAME_ORIGIN = {
    "default-src 'none'", "script-src 'self'", "connect-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
}


def test_the_pages_this_server_renders_run_its_own_scripts_only(http):
    # /docs (Swagger UI from files this package ships) and the dashboard load every
    # script from this origin and none inline; Swagger UI's React sets style
    # attributes, so its page alone allows inline styles. Neither may be framed.
    pages = {
        "/docs": "text/html", "/docs/start.js": "text/javascript",
        "/docs/assets/swagger-ui-bundle.js": "text/javascript", "/docs/assets/swagger-ui.css": "text/css",
        "/dashboard/": "text/html", "/dashboard/app.js": "text/javascript",
        "/dashboard/style.css": "text/css", "/dashboard/pages/overview.js": "text/javascript",
    }
    for path, media_type in pages.items():
        response = http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].split(";")[0] == media_type, path
        for name, value in EVERYWHERE.items():
            assert response.headers.get(name) == value, (path, name)
        style = "style-src 'self' 'unsafe-inline'" if path.startswith("/docs") else "style-src 'self'"
        assert _policy(response) == {*SAME_ORIGIN, style}, path
    # Not a page of its own: the dashboard's missing files and other paths keep the API policy.
    for path in ("/dashboardx", "/docsx", "/redoc", "/docs/oauth2-redirect"):
        response = http.get(path)
        assert response.status_code == 404, path
        if not path.startswith("/docs/"):
            assert _policy(response) == API_POLICY, path
    assert http.get("/dashboard", follow_redirects=False).headers["location"] == "/dashboard/"
