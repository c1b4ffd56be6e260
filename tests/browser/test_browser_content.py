"""What a real browser does with the LRS when content on another origin talks to it:
401 answers it can handle without a login prompt, forged cross-site forms in the
alternate syntax riding its cached credentials, stored HTML documents, and the
Swagger UI at /docs under the security headers, served by this server alone."""

from __future__ import annotations

import base64
import html
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from tests.browser.conftest import PageServer
from tests.e2e.conftest import KEY, SECRET, Server

ACTIVITY = "http://example.com/activities/browser-course"
AGENT = json.dumps({"mbox": "mailto:victim@example.com"})
BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def _lrs_origin(server: Server) -> str:
    parts = urllib.parse.urlsplit(server.endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _call(server: Server, method: str, resource: str, params: dict[str, str],
          body: bytes | None = None, content_type: str = "application/json") -> tuple[int, bytes]:
    """A server-side client with the right credentials (no Origin, no browser)."""
    request = urllib.request.Request(
        f"{server.endpoint}{resource}?{urllib.parse.urlencode(params)}", data=body, method=method,
        headers={"Authorization": BASIC, "X-Experience-API-Version": "1.0.3",
                 "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _prompts_answered(server: Server) -> dict[str, Any]:
    """Context options: someone answers the browser's login prompts for the LRS."""
    return {"http_credentials": {"username": KEY, "password": SECRET, "origin": _lrs_origin(server)}}


FETCH_PAGE = """<!doctype html><title>course</title><script>
const LRS = %s;
async function attempt(headers) {
  try {
    const response = await fetch(LRS + "statements", {credentials: "include", headers});
    return response.status;
  } catch (error) {
    return "failed: " + error;
  }
}
(async () => {
  const version = {"X-Experience-API-Version": "1.0.3"};
  const anonymous = await attempt(version);
  const wrong = await attempt({...version, "Authorization": "Basic " + btoa("nobody:wrong")});
  window.outcome = {anonymous, wrong};
})();
</script>"""


def test_a_page_gets_its_401_without_a_login_prompt(browser, lrs_server, trusted_site):
    # RFC 7235: a Basic challenge makes a browser prompt for credentials (and wait on
    # the prompt); content in a page must see the 401 itself, at once.
    trusted_site.pages["/course.html"] = FETCH_PAGE % json.dumps(lrs_server.endpoint)
    context = browser.new_context()
    try:
        page = context.new_page()
        refusals: list[Any] = []
        page.on("response", lambda r: refusals.append(r) if r.status == 401 else None)
        page.goto(f"{trusted_site.origin}/course.html")
        page.wait_for_function("() => window.outcome !== undefined", timeout=10_000)
        assert page.evaluate("() => window.outcome") == {"anonymous": 401, "wrong": 401}
        assert len(refusals) == 2
        for response in refusals:
            challenge = response.all_headers().get("www-authenticate", "")
            assert challenge, "RFC 7235 3.1: a 401 carries a challenge"
            assert challenge.split()[0].lower() != "basic", challenge
    finally:
        context.close()


def _statement(name: str) -> str:
    return json.dumps({
        "actor": {"mbox": f"mailto:{name}@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": ACTIVITY},
    })


def _log_in(context: Any, server: Server) -> None:
    """Open an LRS URL and answer the browser's login prompt, as someone may once have
    done: from then on the browser attaches those credentials by itself to every
    request under /xapi/, until a 401 tells it they were refused."""
    page = context.new_page()
    page.set_extra_http_headers({"X-Experience-API-Version": "1.0.3"})
    response = page.goto(f"{server.endpoint}statements?limit=1")
    assert response is not None and response.status == 200
    page.close()


def _submit(context: Any, site: PageServer, action: str, fields: dict[str, str]) -> dict[str, Any]:
    """A page of ``site`` whose form posts itself to ``action``: what the browser sent
    and what the LRS answered."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )
    path = f"/{uuid.uuid4().hex}.html"
    site.pages[path] = (
        '<!doctype html><title>prize</title><iframe name="sink"></iframe>'
        f'<form method="POST" target="sink" action="{html.escape(action)}">{inputs}</form>'
        "<script>document.forms[0].submit();</script>"
    )
    page = context.new_page()
    try:
        with page.expect_response(lambda r: r.url == action, timeout=10_000) as answer:
            page.goto(f"{site.origin}{path}")
        sent = answer.value.request.all_headers()
        return {"status": answer.value.status, "authorization": sent.get("authorization"),
                "origin": sent.get("origin")}
    finally:
        page.close()


def test_forged_forms_in_the_alternate_syntax_do_not_ride_cached_credentials(
    browser, lrs_server: Server, hostile_site: PageServer, trusted_site: PageServer
):
    state = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
    assert _call(lrs_server, "PUT", "activities/state", state, b'{"page": 7}')[0] == 204
    forged_id, consented_id, trusted_id = (str(uuid.uuid4()) for _ in range(3))
    version = {"X-Experience-API-Version": "1.0.3"}
    put = f"{lrs_server.endpoint}statements?method=PUT"

    def statement_fields(statement_id: str, **more: str) -> dict[str, str]:
        return {"statementId": statement_id, "content": _statement(statement_id),
                "Content-Type": "application/json", **version, **more}

    context = browser.new_context(**_prompts_answered(lrs_server))
    try:
        _log_in(context, lrs_server)
        # The origin the operator trusts may rely on them.
        trusted = _submit(context, trusted_site, put, statement_fields(trusted_id))
        # Communication 1.3 lets a form carry the headers: any other site's form gets
        # the same credentials attached.
        forged_delete = _submit(context, hostile_site,
                                f"{lrs_server.endpoint}activities/state?method=DELETE",
                                {**state, **version})
        _log_in(context, lrs_server)  # the 401 made the browser forget them
        forged_put = _submit(context, hostile_site, put, statement_fields(forged_id))
        # What old TinCanJS sends: the credentials in the form body, which no other
        # site knows. It keeps working from any site.
        consented = _submit(context, hostile_site, put,
                            statement_fields(consented_id, Authorization=BASIC))
    finally:
        context.close()

    assert trusted == {"status": 204, "authorization": BASIC, "origin": trusted_site.origin}
    for forged in (forged_delete, forged_put):
        assert forged == {"status": 401, "authorization": BASIC, "origin": hostile_site.origin}
    assert consented["status"] == 204
    assert _call(lrs_server, "GET", "activities/state", state) == (200, b'{"page": 7}')
    assert _call(lrs_server, "GET", "statements", {"statementId": forged_id})[0] == 404
    assert _call(lrs_server, "GET", "statements", {"statementId": consented_id})[0] == 200
    assert _call(lrs_server, "GET", "statements", {"statementId": trusted_id})[0] == 200


def test_a_stored_html_document_does_not_run_its_script(browser, lrs_server: Server):
    # Documents come back with the Content-Type they were stored with (Communication
    # 1.5): the browser may render this one, but must not run anything in it.
    doc = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "page"}
    content = b"<!doctype html><title>stored</title><script>document.title = 'script ran'</script>"
    assert _call(lrs_server, "PUT", "activities/state", doc, content, "text/html")[0] == 204
    context = browser.new_context(
        **_prompts_answered(lrs_server), extra_http_headers={"X-Experience-API-Version": "1.0.3"}
    )
    try:
        page = context.new_page()
        response = page.goto(f"{lrs_server.endpoint}activities/state?{urllib.parse.urlencode(doc)}")
        assert response is not None and response.status == 200
        assert response.all_headers()["content-type"] == "text/html"
        page.wait_for_load_state("load")
        assert page.title() == "stored"
    finally:
        context.close()


def test_the_swagger_ui_at_docs_runs_from_this_server_alone(browser, lrs_server: Server):
    # /docs loads Swagger UI from files the package ships and starts it with a script
    # file (no inline script): under its CSP, with every other site unreachable.
    lrs = _lrs_origin(lrs_server)
    context = browser.new_context()
    try:
        elsewhere: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith(lrs) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                elsewhere.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{lrs}/docs")
        page.wait_for_selector(".swagger-ui .information-container h2", timeout=20_000)
        assert page.title() == "LRS API"
        assert problems == []
        assert elsewhere == []
    finally:
        context.close()
