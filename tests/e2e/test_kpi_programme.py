"""The KPI view end to end: a real ``lrs serve``, the onboarding programme
defined over HTTP, a cohort's statements sent by the tincan client across two
quarters, the evaluation and its CSV read back."""

from __future__ import annotations

import base64
import csv
import io
import json
import urllib.error
import urllib.request
from typing import Any

from tincan import RemoteLRS, Statement

from tests.e2e.conftest import KEY, SECRET
from tests.kpi_helpers import PROGRAMME, cohort

AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def call(server: Any, method: str, path: str, body: Any = None, accept: str = "application/json") -> tuple[int, Any, bytes]:
    base = server.endpoint.removesuffix("/xapi/")
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": AUTH, "Content-Type": "application/json", "Accept": accept},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()  # case-insensitive
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_onboarding_programme_evaluation_and_csv(server: Any) -> None:
    status, _, body = call(server, "PUT", "/admin/programmes/onboarding-2026", PROGRAMME)
    assert status == 200, body
    assert json.loads(body)["version"] == 1
    status, _, body = call(server, "PUT", "/admin/programmes/empty", {"name": {"en": "nothing"}})
    assert status == 400 and b"roots" in body

    lrs = RemoteLRS(endpoint=server.endpoint, username=KEY, password=SECRET)
    statements = [Statement.from_json(json.dumps(s)) for s in cohort()]
    saved = lrs.save_statements(statements)
    assert saved.success, saved.data
    # The write's log position: the view is read once it has folded that far.
    position = int(saved.response.getheader("X-LRS-Position"))
    status, headers, body = call(
        server, "GET", f"/views/kpi/programmes/onboarding-2026/evaluation?window=2026&compare=previous&minPosition={position}"
    )
    assert status == 200, body
    answer = json.loads(body)
    assert answer["levels"]["L0_inputs"]["enrolled"]["value"] == 12
    pass_rate = answer["levels"]["L2_learning"]["passRate"]
    assert (pass_rate["value"], pass_rate["numerator"], pass_rate["denominator"]) == (0.875, 7, 8)
    # Nothing happened in fiscal 2025: no previous figures to compare with.
    assert answer["levels"]["L0_inputs"]["enrolled"]["previous"] == 0
    assert answer["completion"]["numerator"] == 8 and answer["completion"]["denominator"] == 12
    assert answer["levels"]["L1_reaction"]["satisfaction"]["value"] == 4.5
    assert answer["privacy"]["minGroupSize"] == 5
    at = headers["X-LRS-Position"]

    status, headers, body = call(
        server, "GET", f"/views/kpi/programmes/onboarding-2026/evaluation?window=2026&asOf={at}", accept="text/csv"
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert f"kpi-onboarding-2026-evaluation-at-{at}.csv" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    completion = next(r for r in rows if r["metric"] == "completion_rate" and r["dimension"] == "all")
    assert (completion["value"], completion["numerator"], completion["denominator"]) == ("0.667", "8", "12")
    assert {r["as_of_position"] for r in rows} == {at}

    status, _, body = call(server, "GET", f"/views/kpi/themes?year=2026&minPosition={at}")
    (theme,) = json.loads(body)["themes"]
    assert theme["quarter"] == "2026-Q3" and theme["label"] == "Customer focus"
