"""The dashboard at /dashboard/ and the Swagger UI at /docs in a real headless
Chromium against a real ``lrs serve`` on a seeded store.

Every test fails on any request that leaves 127.0.0.1 (the pages must work
air-gapped) and on any console error (a CSP violation included). Screenshots go to
``LRS_SCREENSHOT_DIR`` (default: /tmp/lrs-dashboard-screenshots).
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.conftest import KEY, SECRET, Server, start_server, stop_server
from tests.progress_helpers import ANN, BOB, COURSE, MODULE_1, MODULE_2, learner_statement

PUBLIC_URL = "http://lrs.test"
LEARNER_KEY, LEARNER_SECRET = "learner-dana", "dana-Xk29vLq7Rt4w"
DANA = {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": LEARNER_KEY}}
ISSUER, AUDIENCE, KID = "https://id.example", "lrs", "dash-1"
SHOTS = Path(os.environ.get("LRS_SCREENSHOT_DIR", "/tmp/lrs-dashboard-screenshots"))


def _origin(server: Server) -> str:
    parts = urlsplit(server.endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def _call(server: Server, method: str, path: str, body: Any = None, auth: str | None = None) -> tuple[Any, Any]:
    request = urllib.request.Request(
        _origin(server) + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": auth or _basic(KEY, SECRET), "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return (json.loads(text) if text else None), response.headers


def _statement(actor: dict[str, Any], verb: str, activity: str, **kwargs: Any) -> dict[str, Any]:
    return learner_statement(actor, verb, activity, at=datetime.now(UTC), **kwargs)


class Seeded:
    """A store with a course two learners went through, written in two steps a few
    seconds apart (``between``: a moment in the gap), and a learner credential
    (Dana) that wrote statements about herself."""

    def __init__(self, server: Server) -> None:
        self.server = server
        first = [
            _statement(ANN, "attempted", MODULE_1),
            _statement(ANN, "completed", MODULE_1, result={"completion": True}),
            _statement(ANN, "attempted", MODULE_2),
            _statement(BOB, "attempted", MODULE_1),
        ]
        _, headers = _call(server, "POST", "/xapi/statements", first)
        self.first_position = int(headers["X-LRS-Position"])
        self.first_count = len(first)
        time.sleep(1.5)
        self.between = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        time.sleep(1.5)
        second = [
            _statement(ANN, "passed", MODULE_2, result={"score": {"scaled": 0.9}, "success": True}),
            _statement(BOB, "failed", MODULE_2, result={"score": {"scaled": 0.4}, "success": False}),
            _statement(ANN, "completed", COURSE, result={"completion": True}, tree=False),
        ]
        _call(server, "POST", "/xapi/statements", second)
        _call(server, "POST", "/admin/credentials", {
            "scopes": ["statements/write", "statements/read/mine"], "label": "Dana",
            "key": LEARNER_KEY, "secret": LEARNER_SECRET,
        })
        mine = [_statement(DANA, "attempted", MODULE_1), _statement(DANA, "completed", MODULE_1, result={"completion": True})]
        _, headers = _call(server, "POST", "/xapi/statements", mine, auth=_basic(LEARNER_KEY, LEARNER_SECRET))
        self.head = int(headers["X-LRS-Position"])
        self.total = len(first) + len(second) + len(mine)
        # The progress view has folded every write before any page asks.
        self.view("/views/progress/cohort", activityId=COURSE)

    signing_key: Any = None

    def token(self, **claims: Any) -> str:
        """A token of the issuer for a user (no scope claim: statements/write and
        statements/read/mine, Communication 4.2)."""
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "azp": "lms", "iat": now, "exp": now + 600, **claims}
        return jwt.encode(payload, self.signing_key, algorithm="RS256", headers={"kid": KID})

    def view(self, path: str, auth: str | None = None, **params: str) -> Any:
        # minPosition: the view has folded every write above before it answers.
        query = urlencode({**params, "minPosition": self.head})
        return _call(self.server, "GET", f"{path}?{query}", auth=auth)[0]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    workdir = tmp_path_factory.mktemp("dashboard-lrs")
    # Bearer tokens of an issuer whose keys are in a file: no network.
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=KID, use="sig", alg="RS256")
    (workdir / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    running = start_server(
        f"sqlite:///{workdir / 'lrs.sqlite3'}", workdir, LRS_PUBLIC_URL=PUBLIC_URL,
        LRS_PROJECTIONS_IN_PROCESS="1", LRS_OIDC_ISSUER=ISSUER, LRS_OIDC_AUDIENCE=AUDIENCE,
        LRS_OIDC_JWKS_FILE=str(workdir / "jwks.json"),
    )
    try:
        seeded = Seeded(running)
        seeded.signing_key = private
        yield seeded
    finally:
        stop_server(running)


class Watched:
    """A page whose every request is checked: one that leaves 127.0.0.1 is aborted
    and recorded; console errors and uncaught exceptions are recorded."""

    def __init__(self, context: Any, origin: str) -> None:
        self.context = context
        self.origin = origin
        self.external: list[str] = []
        self.errors: list[str] = []

        def route(request_route: Any) -> None:
            url = request_route.request.url
            host = urlsplit(url).hostname
            if url.startswith("data:") or host == "127.0.0.1":
                request_route.continue_()
            else:
                self.external.append(url)
                request_route.abort()

        context.route("**/*", route)
        self.page = self.new_page()

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def check(self) -> None:
        assert self.external == [], f"requests left 127.0.0.1: {self.external}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def watched(browser: Any, seeded: Seeded) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        watching = Watched(context, _origin(seeded.server))
        yield watching
        watching.check()
    finally:
        context.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Any, origin: str, key: str = KEY, secret: str = SECRET) -> None:
    page.goto(f"{origin}/dashboard/")
    page.fill("#key", key)
    page.fill("#secret", secret)
    page.click("#sign-in-button")
    page.wait_for_selector("#sign-out")


def _loaded(page: Any, page_id: str) -> None:
    page.wait_for_selector(f"#page-{page_id}[aria-busy='false']", timeout=15_000)


def _cells(page: Any, selector: str) -> list[list[str]]:
    result: list[list[str]] = page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim()))",
    )
    return result


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_sign_in_shows_the_overview_with_the_apis_numbers(watched: Watched, seeded: Seeded) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    _loaded(page, "overview")
    api = seeded.view("/views/overview", days="30", latest="15")
    assert api["totals"]["statements"] == seeded.total
    assert _number(page.text_content("#total-statements .tile-value") or "") == api["totals"]["statements"]
    assert _number(page.text_content("#total-learners .tile-value") or "") == api["totals"]["learners"] == 3
    assert _number(page.text_content("#window-learners .tile-value") or "") == api["window"]["learners"]
    # The chart's numbers as a table: one row per day, as the API answers them.
    table = _cells(page, "#chart-statements")
    assert [[d["date"], str(d["statements"])] for d in api["days"]] == table
    assert _cells(page, "#chart-learners")[-1] == [api["days"][-1]["date"], str(api["days"][-1]["learners"])]
    assert len(page.query_selector_all("#chart-statements svg rect.bar")) == 30
    # The position it reflects, on every chart.
    positions = page.eval_on_selector_all(".provenance", "ps => ps.map(p => p.dataset.position)")
    assert positions and set(positions) == {str(api["position"])}
    latest = _cells(page, "#latest")
    assert len(latest) == seeded.total
    assert [row[-1] for row in latest] == [str(s["position"]) for s in api["latest"]]
    assert latest[0][1] == f"{LEARNER_KEY} ({PUBLIC_URL})" and latest[0][2] == "completed"
    # Held for the tab only: never in the URL, nothing in localStorage or cookies.
    assert SECRET not in page.url and KEY not in page.url
    assert page.evaluate("() => localStorage.length") == 0
    assert page.context.cookies() == []
    assert page.evaluate("() => sessionStorage.length") == 1
    _shot(page, "overview")
    # Another tab of the same browser is not signed in.
    other = watched.new_page()
    other.goto(f"{watched.origin}/dashboard/#/overview")
    other.wait_for_selector("#sign-in")
    other.close()
    # Signing out forgets the credential.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in")
    assert page.evaluate("() => sessionStorage.length") == 0


def test_as_of_shows_the_store_as_it_stood(watched: Watched, seeded: Seeded) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    _loaded(page, "overview")
    page.fill("#as-of", seeded.between)
    page.click("#as-of-form button[type='submit']")
    page.wait_for_selector(f".provenance[data-position='{seeded.first_position}']")
    _loaded(page, "overview")
    assert _number(page.text_content("#total-statements .tile-value") or "") == seeded.first_count
    assert _number(page.text_content("#total-learners .tile-value") or "") == 2
    assert len(_cells(page, "#latest")) == seeded.first_count
    assert "as it stood at" in (page.text_content("#as-of-state") or "")
    _shot(page, "overview-as-of")
    # The picker's moment stays while moving between pages; "Now" goes back.
    page.click("#nav a[data-page='progress']")
    _loaded(page, "progress")
    assert "asOf=" in page.url
    page.click("#as-of-now")
    page.click("#nav a[data-page='overview']")
    _loaded(page, "overview")
    page.wait_for_selector(".provenance[data-position]")
    assert _number(page.text_content("#total-statements .tile-value") or "") == seeded.total


def test_progress_pages_show_the_learner_and_the_course(watched: Watched, seeded: Seeded) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    _loaded(page, "overview")
    page.goto(f"{watched.origin}/dashboard/#/progress?agent={quote('ann@example.com')}&activity={quote(COURSE)}")
    _loaded(page, "progress")
    learner = seeded.view("/views/progress/learners", agent=json.dumps({"mbox": ANN["mbox"]}), limit="200")
    rows = _cells(page, "#learner-activities")
    assert [r[0] for r in rows] == [a["activityId"] for a in learner["activities"]]
    assert [r[2] for r in rows] == [a["status"] for a in learner["activities"]]
    status_table = _cells(page, "#chart-learner-status")
    assert status_table == [[s, str(n)] for s, n in learner["statusCounts"].items()]
    summary = seeded.view("/views/progress/activities", activityId=COURSE)
    cohort = seeded.view("/views/progress/cohort", activityId=COURSE, limit="200")
    funnel = _cells(page, "#chart-funnel")
    assert funnel[0] == ["Started the course", str(cohort["totalLearners"])] == ["Started the course", "3"]
    assert len(funnel) == 2 + len(summary["children"])
    for row, child in zip(funnel[1:-1], summary["children"], strict=True):
        assert row[1] == str(child["statusCounts"]["completed"] + child["statusCounts"]["passed"])
    counts = summary["statusCounts"]
    assert funnel[-1] == ["Completed or passed the course", str(counts["completed"] + counts["passed"])]
    assert len(_cells(page, "#cohort")) == len(cohort["learners"]) > 0
    _shot(page, "progress")
    # The evidence of one activity, and one of its statements opened.
    page.click(f"#learner-activities button[data-activity='{MODULE_2}']")
    page.wait_for_selector("#evidence table")
    _loaded(page, "progress")
    page.click("#evidence tbody button")
    page.wait_for_selector("#evidence-statement:not([hidden])")
    statement = json.loads(page.text_content("#evidence-statement") or "")
    assert statement["object"]["id"] == MODULE_2
    _shot(page, "progress-evidence")


def test_a_learner_credential_sees_its_own_page_only(watched: Watched, seeded: Seeded) -> None:
    page = watched.page
    _sign_in(page, watched.origin, LEARNER_KEY, LEARNER_SECRET)
    _loaded(page, "me")
    assert page.eval_on_selector_all("#nav a", "as => as.map(a => a.dataset.page)") == ["me"]
    own = seeded.view("/views/me/progress", auth=_basic(LEARNER_KEY, LEARNER_SECRET))
    assert [r[0] for r in _cells(page, "#my-activities")] == [a["activityId"] for a in own["activities"]] == [MODULE_1]
    assert [r[1] for r in _cells(page, "#my-statements")] == ["completed", "attempted"]
    # statements/read/mine lists what the credential sent itself: the page says so.
    assert "statements/read/mine" in (page.text_content("#my-statements-scope") or "")
    assert page.text_content("#me-learner") == "Dana"  # its authority's name: the label
    _shot(page, "me-learner")
    for manager_page in ("overview", "progress"):
        page.goto(f"{watched.origin}/dashboard/#/{manager_page}")
        page.wait_for_selector("main .message.error")
        assert "may not open this page" in (page.text_content("main .message.error") or "")
    # The server refuses too, whatever the browser would ask.
    status = page.evaluate(
        """async (auth) => (await fetch('/views/overview', {headers: {Authorization: auth}})).status""",
        _basic(LEARNER_KEY, LEARNER_SECRET),
    )
    assert status == 403
    watched.errors.clear()  # the 403 above, asked for on purpose, is logged by Chromium


def test_a_bearer_tokens_user_sees_their_own_page(watched: Watched, seeded: Seeded) -> None:
    token = seeded.token(sub="gus-42", name="Gus")
    gus = {"objectType": "Agent", "name": "Gus", "account": {"homePage": ISSUER, "name": "gus-42"}}
    _, headers = _call(seeded.server, "POST", "/xapi/statements",
                       [_statement(gus, "completed", MODULE_2, result={"completion": True})], auth=f"Bearer {token}")
    position = int(headers["X-LRS-Position"])
    # The view has folded it (minPosition) before the page asks.
    own = _call(seeded.server, "GET", f"/views/me/progress?minPosition={position}", auth=f"Bearer {token}")[0]
    page = watched.page
    page.goto(f"{watched.origin}/dashboard/")
    page.check("#use-token")
    page.fill("#token", token)
    page.click("#sign-in-button")
    _loaded(page, "me")
    assert page.eval_on_selector_all("#nav a", "as => as.map(a => a.dataset.page)") == ["me"]
    assert page.text_content("#me-learner") == "Gus"
    assert [r[0] for r in _cells(page, "#my-activities")] == [a["activityId"] for a in own["activities"]]
    assert MODULE_2 in [a["activityId"] for a in own["activities"]]
    assert [r[1] for r in _cells(page, "#my-statements")] == ["completed"]
    assert token not in page.url
    assert page.evaluate("() => sessionStorage.getItem('lrs-dashboard-authorization')") == f"Bearer {token}"


def test_a_wrong_secret_is_refused_at_sign_in(watched: Watched) -> None:
    page = watched.page
    _sign_in_attempt = page.goto(f"{watched.origin}/dashboard/")
    assert _sign_in_attempt is not None and _sign_in_attempt.status == 200
    page.fill("#key", KEY)
    page.fill("#secret", "not-the-secret")
    page.click("#sign-in-button")
    page.wait_for_selector("#sign-in .message.error")
    assert "Not signed in" in (page.text_content("#sign-in .message.error") or "")
    assert page.evaluate("() => sessionStorage.length") == 0
    watched.errors.clear()  # Chromium logs the 401 it was answered


def test_formatting_functions(watched: Watched) -> None:
    page = watched.page
    page.goto(f"{watched.origin}/dashboard/")
    results = page.evaluate(
        """async () => {
          const f = await import('/dashboard/lib/format.js');
          const thrown = (fn) => { try { fn(); return null; } catch (e) { return e.message; } };
          return {
            number: [f.formatNumber(1234567), f.formatNumber(null), f.formatNumber(0.456, 2)],
            percent: [f.formatPercent(0.6), f.formatPercent(1), f.formatPercent(0.8333), f.formatPercent(null)],
            duration: [f.formatDuration(12), f.formatDuration(185), f.formatDuration(3723.5), f.formatDuration(null)],
            moment: f.formatMoment('2026-11-30T17:02:11.120000Z'),
            agents: [f.agentLabel({mbox: 'mailto:ann@example.com'}), f.agentLabel({name: 'Ann', mbox: 'mailto:a@b'}),
                     f.agentLabel({account: {homePage: 'http://x', name: 'bob'}}),
                     f.agentLabel({objectType: 'Group', member: [{name: 'A'}, {name: 'B'}]})],
            verb: [f.verbLabel({id: 'http://adlnet.gov/expapi/verbs/passed'}),
                   f.verbLabel({id: 'x:y', display: {'de-DE': 'bestanden'}}),
                   f.verbLabel({id: 'x:y', display: {'de-DE': 'bestanden', 'en-US': 'passed'}})],
            object: [f.objectLabel({id: 'http://c/1', definition: {name: {'en-US': 'Course'}}}), f.objectLabel({id: 'http://c/1'})],
            suppressed: [f.cellText({suppressed: true, reason: 'fewer than 5'}), f.cellText(4), f.isSuppressed(0)],
            agent: [f.agentParameter('ann@example.com'), f.agentParameter('mailto:ann@example.com'),
                    f.agentParameter(' {"account": {"homePage": "http://x", "name": "bob"}} ')],
            agentErrors: [thrown(() => f.agentParameter('')), thrown(() => f.agentParameter('ann'))],
            asOf: [f.asOfFromInput('2026-12-03T13:05'), f.asOfFromInput('2026-12-03T13:05:09'), f.asOfFromInput('')],
            asOfError: thrown(() => f.asOfFromInput('yesterday')),
            basic: f.basicAuthorization('kéy', 's:ecret'),
          };
        }"""
    )
    assert results["number"] == ["1,234,567", "—", "0.46"]
    assert results["percent"] == ["60.0 %", "100 %", "83.3 %", "—"]
    assert results["duration"] == ["12 s", "3 min 05 s", "1 h 02 min", "—"]
    assert results["moment"] == "2026-11-30 17:02:11 UTC"
    assert results["agents"] == ["ann@example.com", "Ann", "bob (http://x)", "A, B"]
    assert results["verb"] == ["passed", "bestanden", "passed"]
    assert results["object"] == ["Course", "http://c/1"]
    assert results["suppressed"] == ["suppressed", "4", False]
    assert [json.loads(a) for a in results["agent"]] == [
        {"mbox": "mailto:ann@example.com"}, {"mbox": "mailto:ann@example.com"},
        {"account": {"homePage": "http://x", "name": "bob"}},
    ]
    assert all(results["agentErrors"])
    assert results["asOf"] == ["2026-12-03T13:05:00Z", "2026-12-03T13:05:09Z", None]
    assert "yesterday" in results["asOfError"]
    assert results["basic"] == "Basic " + base64.b64encode("kéy:s:ecret".encode()).decode()


def test_suppressed_cells_are_shown_as_suppressed(watched: Watched) -> None:
    # No view of this branch suppresses yet; the chart and table code is what later
    # views' pages use: a suppressed value is labelled, never drawn as a number.
    page = watched.page
    page.goto(f"{watched.origin}/dashboard/")
    page.evaluate(
        """async () => {
          const charts = await import('/dashboard/lib/charts.js');
          const figure = charts.barChart({id: 'test-chart', title: 'Teams', answer: {position: 7},
            rows: [{label: 'ops', value: 12}, {label: 'sales', value: {suppressed: true, reason: 'fewer than 5 members'}}]});
          document.querySelector('main').replaceChildren(figure);
        }"""
    )
    assert _cells(page, "#test-chart") == [["ops", "12"], ["sales", "suppressed"]]
    assert page.get_attribute("#test-chart td.suppressed", "title") == "fewer than 5 members"
    assert len(page.query_selector_all("#test-chart rect.bar.suppressed")) == 1
    assert page.get_attribute("#test-chart .provenance", "data-position") == "7"


def test_the_api_documentation_works_offline(watched: Watched) -> None:
    page = watched.page
    page.goto(f"{watched.origin}/docs")
    page.wait_for_selector(".swagger-ui .information-container h2", timeout=20_000)
    assert "LRS" in (page.text_content(".swagger-ui .information-container h2") or "")
    page.get_by_text("/views/overview", exact=True).first.wait_for()
    _shot(page, "docs")
