"""The dashboard's competency, social-learning and KPI pages in a real headless
Chromium against a real ``lrs serve``, the store configured and filled through the
admin APIs and the xAPI API (tests.browser.views_seed). Each page's numbers are
compared with the API's answers; every test fails on a request that leaves
127.0.0.1 and on any console error (tests.browser.test_dashboard's Watched)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.test_dashboard import Watched, _cells, _shot, _sign_in
from tests.browser.views_seed import (
    AT,
    EVE,
    KPI_PROGRAMME,
    KPI_WINDOW,
    LEARNER_KEY,
    LEARNER_SECRET,
    PUBLIC_URL,
    SOCIAL_WINDOW,
    ViewsStore,
    basic,
    call,
    origin,
)
from tests.competency_helpers import CHAT
from tests.e2e.conftest import start_server, stop_server

EVE_AUTH = basic(LEARNER_KEY, LEARNER_SECRET)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewsStore]:
    workdir = tmp_path_factory.mktemp("dashboard-views-lrs")
    running = start_server(f"sqlite:///{workdir / 'lrs.sqlite3'}", workdir, LRS_PUBLIC_URL=PUBLIC_URL,
                           LRS_PROJECTIONS_IN_PROCESS="1")
    try:
        yield ViewsStore(running)
    finally:
        stop_server(running)


@pytest.fixture
def watched(browser: Any, store: ViewsStore) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        watching = Watched(context, origin(store.server))
        yield watching
        watching.check()
    finally:
        context.close()


def _open(page: Any, page_id: str, **params: str) -> None:
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
    page.goto(f"{page.url.split('#')[0]}#/{page_id}?{query}")
    page.wait_for_selector(f"#page-{page_id}[aria-busy='false']", timeout=20_000)


def _level(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _percent(rate: float) -> str:
    """As lib/format.js formatPercent writes a rate."""
    return f"{rate * 100:.0f} %" if rate in (0, 1) else f"{rate * 100:.1f} %"


def _nav(page: Any) -> list[str]:
    return page.eval_on_selector_all("#nav a", "links => links.map(a => a.dataset.page)")


def test_competency_page_shows_the_views_answers(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    assert "competency" in _nav(page)
    cy = '{"mbox":"mailto:cy@example.org"}'
    _open(page, "competency", agent="cy@example.org", role="meeting-host", team="support", competency=CHAT, at=AT)
    assert page.query_selector("#page-competency .message.error") is None
    # Options come from the configured roles and teams.
    assert page.eval_on_selector_all("#role option", "os => os.map(o => o.value)") == ["meeting-host"]
    assert page.eval_on_selector_all("#team option", "os => os.map(o => o.value)") == ["support"]

    gaps = store.view("/views/competency/gaps", agent=cy, role="meeting-host", at=AT)
    assert page.text_content("#readiness .tile-value") == _percent(gaps["readiness"])
    requirements = _cells(page, "#role-requirements")
    wanted = [*gaps["met"], *gaps["gaps"]]
    assert [[r[0], r[2], r[3]] for r in requirements] == [
        [w["name"], _level(w["required"]), _level(w["level"])] for w in wanted]
    recommended = [r["activity"] for g in gaps["gaps"] for r in g["recommendations"]]
    assert recommended and [r[1] for r in _cells(page, "#recommendations")] == recommended

    heat = store.view("/views/competency/heatmap", team="support", role="meeting-host", at=AT)
    table = _cells(page, "#chart-heatmap")
    assert table == [[r["name"], str(r["proficient"]), str(r["needsRefresh"]), str(r["developing"]),
                      str(r["lapsed"]), str(r["none"])] for r in heat["rows"]]
    assert len(page.query_selector_all("#chart-heatmap svg rect.cell")) == 5 * len(heat["rows"])

    experts = store.view("/views/competency/experts", competency=CHAT, at=AT, limit="10")
    assert [[r[1], r[3]] for r in _cells(page, "#experts")] == [
        [_level(e["level"]), _level(e["score"])] for e in experts["experts"]]
    coverage = store.view("/views/competency/coverage", role="meeting-host", minExperts="2", at=AT)
    assert [[r[0], r[1]] for r in _cells(page, "#coverage")] == [
        [r["name"], str(r["proficient"])] for r in coverage["atRisk"]]
    # Every chart shows the log position it reflects.
    positions = set(page.eval_on_selector_all("#page-competency .provenance", "ps => ps.map(p => p.dataset.position)"))
    assert positions and positions <= {str(p) for p in range(store.head - 5, store.head + 5)}
    _shot(page, "competency")


def test_a_profile_cell_is_explained_by_its_evidence_and_history(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    cy = '{"mbox":"mailto:cy@example.org"}'
    _open(page, "competency", agent="cy@example.org", role="meeting-host", team="support", competency=CHAT, at=AT)
    assert page.query_selector("#evidence") is None
    explained = page.get_attribute("#profile button.explain", "data-competency")
    assert explained
    page.click("#profile button.explain")
    page.wait_for_selector("#page-competency[aria-busy='false'] #evidence", timeout=20_000)
    assert f"evidence={quote(explained, safe='')}" in page.url

    evidence = store.view("/views/competency/evidence", agent=cy, competency=explained, at=AT)
    assert evidence["evidence"], "the seeded learner has evidence for the explained competency"
    assert page.text_content("#evidence-level .tile-value") == _level(evidence["cell"]["level"])
    shown = _cells(page, "#evidence-list")
    assert [[r[2], r[3], r[4], r[8]] for r in shown] == [
        [e["kind"], _level(e["score"]), _level(e["weight"]), e["statement"]] for e in evidence["evidence"]]
    history = store.view("/views/competency/history", agent=cy, competency=explained, at=AT)
    assert [r[1] for r in _cells(page, "#history")] == [p["status"] for p in history["points"]]
    _shot(page, "competency-evidence")

    # The evidence as CSV, built in the page from the same rows, numbers unformatted.
    with page.expect_download() as downloaded:
        page.click("#evidence-list button.csv")
    saved = downloaded.value
    assert saved.suggested_filename == f"competency-evidence-at-{evidence['position']}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(saved.path()).read_text())))
    assert [(r["Kind"], r["Statement"]) for r in rows] == [(e["kind"], e["statement"]) for e in evidence["evidence"]]


def test_competency_mine_sees_its_own_profile_only(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin, LEARNER_KEY, LEARNER_SECRET)
    assert "competency" in _nav(page) and "overview" not in _nav(page)
    _open(page, "competency", role="meeting-host", at=AT)
    mine = json.dumps({"account": EVE["account"]})
    gaps = store.view("/views/competency/gaps", auth=EVE_AUTH, agent=mine, role="meeting-host", at=AT)
    assert page.text_content("#readiness .tile-value") == _percent(gaps["readiness"])
    assert [r[0] for r in _cells(page, "#role-requirements")] == [w["name"] for w in [*gaps["met"], *gaps["gaps"]]]
    # No team, experts or coverage: those read other people.
    assert page.query_selector("#chart-heatmap") is None and page.query_selector("#experts") is None
    _shot(page, "competency-mine")


def _private(value: Any) -> str:
    """A count as the page writes it: null in an answer with hidden cells is suppressed."""
    if value is None or (isinstance(value, dict) and value.get("suppressed")):
        return "suppressed"
    return f"{value:,}"


def test_social_page_shows_the_views_answers(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    assert "social" in _nav(page)
    _open(page, "social", window=SOCIAL_WINDOW)
    assert page.query_selector("#page-social .message.error") is None
    overview = store.view("/views/social/overview", window=SOCIAL_WINDOW)
    assert page.text_content("#social-active .tile-value") == _private(overview["activeLearners"])
    assert page.text_content("#social-isolated .tile-value") == _private(overview["isolatedLearners"]["n"])
    # The view hid the authors (one author: a group under 5): shown as such.
    assert overview["knowledgeSharing"]["authors"] is None
    assert page.text_content("#social-authors .tile-value") == "suppressed"

    teams = store.view("/views/social/teams", window=SOCIAL_WINDOW)
    rows = _cells(page, "#social-teams")
    assert [[r[0], r[1]] for r in rows] == [
        [t["team"], "suppressed" if t.get("suppressed") else str(t["activeMembers"])] for t in teams["teams"]]
    # The picture: one circle per team the view names, one line per tie.
    assert sorted(page.eval_on_selector_all("#chart-team-network circle", "cs => cs.map(c => c.dataset.node)")) == sorted(
        t["team"] for t in teams["teams"])
    assert len(page.query_selector_all("#chart-team-network line.tie")) == len(teams["ties"])
    # The team of two is hidden by the view: drawn and listed as suppressed.
    assert any(t.get("suppressed") for t in teams["teams"])
    assert page.query_selector_all("#chart-team-network circle.node.suppressed")
    tied = {name for tie in teams["ties"] for name in (tie["a"], tie["b"])}
    isolated = [t["team"] for t in teams["teams"] if not t.get("suppressed") and t["team"] not in tied]
    assert isolated and [r[0] for r in _cells(page, "#isolated-teams")] == isolated

    contributions = store.view("/views/social/contributions", window=SOCIAL_WINDOW, limit="50")
    assert [[r[0], r[3], r[4]] for r in _cells(page, "#contributions")] == [
        [a["name"], _private(a["distinctConsumers"]), _private(a["teamsReached"])] for a in contributions["artifacts"]]
    positions = set(page.eval_on_selector_all("#page-social .provenance", "ps => ps.map(p => p.dataset.position)"))
    assert positions == {str(teams["position"])}
    # No person is named on the page: the team-level network only.
    assert "@example.com" not in (page.text_content("#page-social") or "")
    _shot(page, "social")


def test_me_page_shows_the_learners_social_side(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin, LEARNER_KEY, LEARNER_SECRET)
    assert "social" not in _nav(page)
    _open(page, "me", window=SOCIAL_WINDOW)
    answer = store.view("/views/social/me", auth=EVE_AUTH, window=SOCIAL_WINDOW)
    assert answer["contributions"]["artifacts"] == 0 and answer["active"] is True
    table = dict((r[0], r[1]) for r in _cells(page, "#chart-my-social"))
    assert table["Co-learners"] == _private(answer["coLearners"])
    assert table["Replies received"] == _private(answer["contributions"]["repliesReceived"])
    assert answer["window"]["label"] in (page.text_content("#my-social-window") or "")
    _shot(page, "me-social")


def test_kpi_page_shows_the_views_answers_and_saves_the_csv(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    assert "kpi" in _nav(page)
    _open(page, "kpi", window=KPI_WINDOW, programme=KPI_PROGRAMME, grain="quarter", year="2026")
    assert page.query_selector("#page-kpi .message.error") is None
    listed = store.view("/views/kpi/programmes", window=KPI_WINDOW)
    (row,) = _cells(page, "#kpi-programmes")
    (programme,) = listed["programmes"]
    assert row[0] == "Onboarding 2026" and row[3] == str(programme["enrolled"]["value"])
    assert row[4] == _percent(programme["completionRate"]["value"]) and row[5] == _percent(programme["passRate"]["value"])
    assert row[7:] == ["✓" if programme["coverage"][level] else "no" for level in
                       ("L0_inputs", "L1_reaction", "L2_learning", "L3_behaviour", "L4_results")]

    path = f"/views/kpi/programmes/{KPI_PROGRAMME}"
    evaluation = store.view(f"{path}/evaluation", window=KPI_WINDOW)
    figures = {r[1]: r[2:] for r in _cells(page, "#kpi-evaluation")}
    assert figures["Enrolled"][0] == str(evaluation["levels"]["L0_inputs"]["enrolled"]["value"])
    pass_rate = evaluation["levels"]["L2_learning"]["passRate"]
    assert figures["Pass rate"] == [_percent(pass_rate["value"]), f"{pass_rate['numerator']} / {pass_rate['denominator']}"]
    assert figures["Completion rate"][0] == _percent(evaluation["completion"]["value"])
    # Group vs solo: under the performance threshold, the view hid both; so does the page.
    assert evaluation["byMode"]["group"]["suppressed"] is True
    assert _cells(page, "#kpi-by-mode") == [["group", "suppressed", "suppressed", "suppressed"],
                                            ["solo", "suppressed", "suppressed", "suppressed"]]

    funnel = store.view(f"{path}/funnel", window=KPI_WINDOW)
    assert [r[1:] for r in _cells(page, "#kpi-funnel")] == [
        [_private(m["attempted"]), _private(m["completed"]), _private(m["stalledHere"])] for m in funnel["modules"]]
    series = store.view(f"{path}/series", window=KPI_WINDOW, grain="quarter")
    for metric in series["series"]:
        shown = _cells(page, f"#chart-kpi-series-{metric['metric']}")
        assert shown == [[p["bucket"], "suppressed" if p.get("suppressed") else str(p["value"])] for p in metric["points"]]
    assert any(p.get("suppressed") for m in series["series"] for p in m["points"])
    assert page.query_selector_all("#chart-kpi-series-completions rect.bar.suppressed")
    themes = store.view("/views/kpi/themes", year="2026")
    assert [[r[0], r[1], r[3]] for r in _cells(page, "#kpi-themes")] == [
        [t["quarter"], t["label"], _percent(t["reach"]["value"])] for t in themes["themes"]]
    positions = set(page.eval_on_selector_all("#page-kpi .provenance", "ps => ps.map(p => p.dataset.position)"))
    assert positions == {str(evaluation["position"])}
    _shot(page, "kpi")

    # The CSV: fetched with the credential in its header, saved from a blob.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    with page.expect_download() as downloaded:
        page.click("#kpi-csv")
    saved = downloaded.value
    assert saved.suggested_filename == f"kpi-{KPI_PROGRAMME}-evaluation-at-{evaluation['position']}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(saved.path()).read_text())))
    completion = next(r for r in rows if r["metric"] == "completion_rate" and r["dimension"] == "all")
    assert (completion["numerator"], completion["denominator"]) == ("8", "12")
    page.wait_for_selector("#kpi-csv-status:has-text('Saved')")
    assert all("Basic" not in url and "secret" not in url.lower() for url in requests)
    assert any("/evaluation?" in url and "window=2026" in url for url in requests)


def test_as_of_shows_the_kpi_page_as_it_stood(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin)
    _open(page, "kpi", window=KPI_WINDOW, year="2026")
    assert len(_cells(page, "#kpi-programmes")) == 1
    # The picker: before the programme was defined, there was none to show.
    page.fill("#as-of", store.before_kpi)
    page.click("#as-of-form button[type='submit']")
    page.wait_for_selector("#page-kpi[aria-busy='false'] #kpi-programmes td.empty", timeout=20_000)
    then = store.view("/views/kpi/programmes", window=KPI_WINDOW, asOf=store.before_kpi + "Z")
    assert then["programmes"] == []
    positions = set(page.eval_on_selector_all("#page-kpi .provenance", "ps => ps.map(p => p.dataset.position)"))
    assert positions == {str(then["position"])} and then["position"] < store.head
    assert "asOf=" in page.url and "No programme to evaluate." in (page.text_content("#page-kpi") or "")
    _shot(page, "kpi-as-of")


def test_a_learner_credential_sees_no_manager_view_page(watched: Watched, store: ViewsStore) -> None:
    page = watched.page
    _sign_in(page, watched.origin, LEARNER_KEY, LEARNER_SECRET)
    # competency/read/mine: its own competency page and "Me"; never social or KPIs.
    assert _nav(page) == ["competency", "me"]
    for page_id in ("social", "kpi"):
        page.goto(f"{watched.origin}/dashboard/#/{page_id}")
        page.wait_for_selector("#main .message.error")
        assert "may not open this page" in (page.text_content("#main") or "")


def test_the_view_pages_pure_functions(watched: Watched) -> None:
    page = watched.page
    page.goto(f"{watched.origin}/dashboard/")
    results = page.evaluate(
        """async () => {
          const f = await import('/dashboard/lib/format.js');
          const api = await import('/dashboard/lib/api.js');
          const social = await import('/dashboard/pages/social.js');
          const kpi = await import('/dashboard/pages/kpi.js');
          const competency = await import('/dashboard/pages/competency.js');
          const hiding = {privacy: {mode: 'aggregate', minGroupSize: 5, suppressedCells: 1}};
          const clear = {privacy: {mode: 'aggregate', minGroupSize: 5, suppressedCells: 0}};
          return {
            privateCount: [f.privateCount(null, hiding), f.privateCount(3, hiding), f.privateCount(null, clear), f.privateCount(null, {})],
            figure: [f.figureValue({value: 0.5, numerator: 1, denominator: 2}), f.figureValue({suppressed: true}), f.figureValue(null), f.figureValue(7)],
            point: [f.pointValue({bucket: 'Q1', value: 4}), f.pointValue({bucket: 'Q2', value: null, suppressed: true})],
            ratio: [f.ratioText({value: 0.5, numerator: 1, denominator: 2}), f.ratioText({suppressed: true}), f.ratioText({value: 3})],
            attachment: [api.attachmentName('attachment; filename="kpi-x-at-12.csv"'), api.attachmentName(null)],
            isolated: social.isolatedTeams(
              [{team: 'a'}, {team: 'b'}, {team: 'c'}, {team: 'd', suppressed: true}], [{a: 'a', b: 'b'}]).map((t) => t.team),
            percentBar: [kpi.percentBar({value: 0.6667}), kpi.percentBar({suppressed: true}), kpi.percentBar(null)],
            levels: [competency.levelPercent(0.849), competency.levelPercent(null)],
            csv: f.csvText([{label: 'a', value: (r) => r.a}, {label: 'b,c', value: (r) => r.b}],
                           [{a: 1.5, b: 'say "hi"'}, {a: {suppressed: true}, b: null}]),
            fileName: [f.fileName('Course cohort at 12', 'csv'), f.fileName('', 'csv')],
            wholeStore: [competency.readsWholeStore(['all']), competency.readsWholeStore(['competency/read/mine'])],
            evaluation: kpi.evaluationRows({
              completion: {suppressed: true},
              levels: {L0_inputs: {enrolled: {value: 3}, learningHours: {suppressed: true}},
                       L1_reaction: {}, L2_learning: {passRate: {value: 0.5, numerator: 1, denominator: 2}},
                       L3_behaviour: {status: 'not-configured'}, L4_results: {status: 'not-configured', hint: 'h'}}})
              .map((r) => [r.level, r.measure, f.cellText(r.value), r.ratio]),
          };
        }"""
    )
    hidden = {"suppressed": True, "reason": "withheld: a group under 5 people"}
    assert results["privateCount"] == [hidden, 3, None, None]
    assert results["figure"] == [0.5, {"suppressed": True}, None, 7]
    assert results["point"] == [4, {"suppressed": True, "reason": "suppressed by the view's privacy rules"}]
    assert results["ratio"] == ["1 / 2", None, None]
    assert results["attachment"] == ["kpi-x-at-12.csv", None]
    assert results["isolated"] == ["c"]  # d is suppressed: not judged
    assert results["percentBar"] == [66.7, {"suppressed": True}, None]
    assert results["levels"] == [85, None]
    assert results["csv"] == 'a,"b,c"\r\n1.5,"say ""hi"""\r\nsuppressed,\r\n'
    assert results["fileName"] == ["course-cohort-at-12.csv", "table.csv"]
    assert results["wholeStore"] == [True, False]
    assert results["evaluation"] == [
        ["L0 inputs", "Enrolled", "3", None], ["L0 inputs", "Learning hours", "suppressed", None],
        ["L0 inputs", "Completion rate", "suppressed", None], ["L0 inputs", "Median days to complete", "suppressed", None],
        ["L2 learning", "Pass rate", "50.0 %", "1 / 2"], ["L3 behaviour", "not-configured", "—", None],
        ["L4 results", "not-configured", "—", "h"],
    ]


def test_the_person_graph_shows_pseudonymous_ids_only(watched: Watched, store: ViewsStore) -> None:
    # Last in this module: it switches the store to identified mode, then back.
    server = store.server
    created, _ = call(server, "POST", "/admin/credentials", {
        "scopes": ["all/read", "views/social/identified"], "label": "analyst"})
    analyst = basic(created["key"], created["secret"])
    page = watched.page
    _sign_in(page, watched.origin, created["key"], created["secret"])
    _open(page, "social", window=SOCIAL_WINDOW)
    assert page.query_selector("#chart-people-network") is None  # aggregate mode: no person graph
    switched, _ = call(server, "PUT", "/admin/analytics/settings", {"mode": "identified", "legalBasis": "Works agreement 7"})
    try:
        store.head = max(store.head, switched["position"])
        # (The view has folded the switch before the page asks.)
        graph = store.view("/views/social/graph", auth=analyst, window=SOCIAL_WINDOW, kinds="co_participation,reply,mentor")
        page.reload()
        page.wait_for_selector("#page-social[aria-busy='false']", timeout=20_000)
        assert graph["nodes"]
        shown = page.eval_on_selector_all("#chart-people-network circle", "cs => cs.map(c => c.dataset.node)")
        assert shown == [n["id"] for n in graph["nodes"][:80]]
        assert [r[0] for r in _cells(page, "#chart-people-network")] == [n["id"] for n in graph["nodes"]]
        # The view's labels name people (their IFIs); the picture and its table never do.
        assert all(n["label"].startswith("mbox:") for n in graph["nodes"] if n["label"].startswith("mbox:"))
        assert "@" not in (page.text_content("#chart-people-network") or "")
        _shot(page, "social-people")
    finally:
        back, _ = call(server, "PUT", "/admin/analytics/settings", {"mode": "aggregate"})
        store.head = max(store.head, back["position"])
