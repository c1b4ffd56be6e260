"""TinCanJS, the most used browser xAPI library, in a real Chromium against a real
``lrs serve``: it stores a statement with an attachment (multipart/mixed) and
reads it back with ``attachments=true``, which its multipart parser must split.

TinCanJS comes from the npm registry at the version pinned in
tests/browser/clients/package-lock.json (``npm ci``, run here when it is missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PageServer
from tests.e2e.conftest import KEY, SECRET, Server

CLIENTS = Path(__file__).parent / "clients"
TINCAN = CLIENTS / "node_modules" / "tincanjs" / "build" / "tincan.js"


@pytest.fixture(scope="module")
def tincan_js() -> str:
    if not TINCAN.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(CLIENTS)],
            check=False, capture_output=True, timeout=300,
        )
    if not TINCAN.exists():
        reason = f"TinCanJS is not installed (npm ci --prefix {CLIENTS})"
        if os.environ.get("LRS_TEST_BROWSER_REQUIRED") == "1":
            pytest.fail(f"LRS_TEST_BROWSER_REQUIRED=1 but {reason}")
        pytest.skip(reason)
    return TINCAN.read_text()


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>course</title>
<script>%(library)s</script></head><body><script>
window.onerror = function (m, s, l, c, e) { window.outcome = {step: "thrown", error: JSON.stringify(e)}; };
var lrs = new TinCan.LRS({endpoint: %(endpoint)s, username: %(key)s, password: %(secret)s,
                         allowFail: false});
var text = "An essay: \\u00e9t\\u00e9 \\u2713";
var statement = new TinCan.Statement({
    actor: {mbox: "mailto:learner@example.com", name: "Learner"},
    verb: {id: "http://adlnet.gov/expapi/verbs/completed", display: {"en-US": "completed"}},
    target: {id: "http://example.com/activities/essay"},
    attachments: [{usageType: "http://example.com/attachment-usage/essay",
                   display: {"en-US": "essay"}, contentType: "text/plain"}]
});
statement.attachments[0].setContentFromString(text);
lrs.saveStatement(statement, {callback: function (err, xhr) {
    if (err !== null) { window.outcome = {step: "save", error: String(err), status: xhr && xhr.status}; return; }
    lrs.retrieveStatement(statement.id, {params: {attachments: true}, callback: function (err2, got) {
        if (err2 !== null || !got) { window.outcome = {step: "retrieve", error: String(err2)}; return; }
        window.outcome = {step: "done", id: got.id, verb: got.verb.id,
                          attachments: got.attachments.length,
                          content: got.attachments[0].getContentAsString(), expected: text};
    }});
}});
</script></body></html>"""


def test_tincanjs_stores_and_reads_a_statement_with_an_attachment(
    browser: Any, lrs_server: Server, trusted_site: PageServer, tincan_js: str
) -> None:
    trusted_site.pages["/favicon.ico"] = ""
    trusted_site.pages["/course.html"] = PAGE % {
        "library": tincan_js,
        "endpoint": json.dumps(lrs_server.endpoint),
        "key": json.dumps(KEY),
        "secret": json.dumps(SECRET),
    }
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}: {response.text()}")
        if response.status >= 400 else None,
    )
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    try:
        page.goto(trusted_site.origin + "/course.html")
        try:
            page.wait_for_function("window.outcome !== undefined", timeout=20_000)
        except Exception:
            pytest.fail(f"TinCanJS never finished: {errors}")
        outcome = page.evaluate("window.outcome")
    finally:
        page.close()
    assert not errors, (errors, outcome)
    assert outcome["step"] == "done", outcome
    assert outcome["verb"] == "http://adlnet.gov/expapi/verbs/completed"
    assert outcome["attachments"] == 1
    assert outcome["content"] == outcome["expected"]
