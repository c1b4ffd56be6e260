"""A store for the dashboard's competency, social-learning and KPI pages (no
``test_`` prefix): configured and filled through the admin APIs and the xAPI API
only, as an operator and the learning tools would."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.competency_helpers import (
    ALIGNMENTS,
    QUIZ_CHAT,
    QUIZ_CHAT_2,
    ROLE,
    agent,
    case_package,
    scored,
)
from tests.competency_helpers import cohort as competency_cohort
from tests.e2e.conftest import KEY, SECRET, Server
from tests.kpi_helpers import PROGRAMME
from tests.kpi_helpers import cohort as kpi_cohort

AT = "2026-09-01T00:00:00Z"
SOCIAL_WINDOW = "2026-Q3"
KPI_WINDOW = "2026"
KPI_PROGRAMME = "onboarding-2026"
PUBLIC_URL = "http://lrs.test"
LEARNER_KEY, LEARNER_SECRET = "learner-eve", "eve-Zt83pQw5Lk2m"
# A credential's authority (and so the learner it reads as "mine"): its account.
EVE = {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": LEARNER_KEY}}
MOODLE = "https://moodle.example.com"
DISCUSSION = {"objectType": "Activity", "id": f"{MOODLE}/mod/forum/discuss.php?d=812", "definition": {
    "type": "http://id.tincanapi.com/activitytype/discussion", "name": {"en": "How we handle returns"}}}
WEBINAR = {"objectType": "Activity", "id": "https://events.example.com/webinars/q3-theme", "definition": {
    "type": "http://id.tincanapi.com/activitytype/webinar", "name": {"en": "Q3 theme webinar"}}}
SALES = [f"sales{i}" for i in range(6)]
SUPPORT = [f"support{i}" for i in range(6)]
OPS = [f"ops{i}" for i in range(7)]  # the largest team: complementary suppression passes it by
LEGAL = ["legal0", "legal1"]  # a team under the threshold of 5: its cells are hidden


def origin(server: Server) -> str:
    parts = urlsplit(server.endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def call(server: Server, method: str, path: str, body: Any = None, *, auth: str | None = None,
         content_type: str = "application/json", raw: bytes | None = None) -> tuple[Any, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(origin(server) + path, method=method, data=data, headers={
        "Authorization": auth or basic(KEY, SECRET), "X-Experience-API-Version": "1.0.3",
        "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return (json.loads(text) if text else None), response.headers
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None


def _social_person(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name.title(), "mbox": f"mailto:{name}@example.com"}


def _social_statements() -> list[dict[str, Any]]:
    """A forum thread started in sales and answered by support and ops, a webinar a
    Group of sales and support attended; ops members also learn alone."""
    forum = {"contextActivities": {"parent": [{"id": f"{MOODLE}/mod/forum/view.php?id=9"}]}}
    out: list[dict[str, Any]] = [{"actor": _social_person(SALES[0]), "verb": {"id": "http://activitystrea.ms/schema/1.0/create"},
                                  "object": DISCUSSION, "timestamp": "2026-07-10T09:00:00Z", "context": forum}]
    out += [{"actor": _social_person(n), "verb": {"id": "http://id.tincanapi.com/verb/replied"}, "object": DISCUSSION,
             "timestamp": "2026-07-11T09:00:00Z", "context": forum} for n in SUPPORT + LEGAL]
    out += [{"actor": _social_person(n), "verb": {"id": "http://id.tincanapi.com/verb/viewed"}, "object": DISCUSSION,
             "timestamp": "2026-07-12T09:00:00Z"} for n in SALES[1:] + OPS[:3]]
    # Eve (the learner credential) replies in the thread too: her own social side.
    out.append({"actor": EVE, "verb": {"id": "http://id.tincanapi.com/verb/replied"}, "object": DISCUSSION,
                "timestamp": "2026-07-11T10:00:00Z", "context": forum})
    out.append({"actor": {"objectType": "Group", "member": [_social_person(n) for n in SALES + SUPPORT[:2]]},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"}, "object": WEBINAR,
                "timestamp": "2026-08-20T14:00:00Z"})
    out += [{"actor": _social_person(n), "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
             "object": {"objectType": "Activity", "id": f"https://lms.example.com/solo/{n}"},
             "timestamp": "2026-08-01T10:00:00Z"} for n in OPS]
    return out


class ViewsStore:
    """Competency (a CASE framework, alignments, a role, a team, quiz results),
    social learning (12 people in two teams' memberships, a thread, a webinar) and
    KPIs (the onboarding programme and its cohort), and a learner credential for Eve (her account is her authority)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        call(server, "POST", "/admin/competency/frameworks", case_package())
        call(server, "PUT", "/admin/competency/alignments", ALIGNMENTS)
        call(server, "PUT", "/admin/competency/roles/meeting-host", ROLE)
        call(server, "PUT", "/admin/competency/teams/support",
             {"name": "Support", "members": [*(agent(n) for n in ("ann", "bob", "cy", "dee")), EVE]})
        eve = [{**scored("eve", QUIZ_CHAT, 0.9, 3), "actor": EVE}, {**scored("eve", QUIZ_CHAT_2, 0.85, 4), "actor": EVE}]
        call(server, "POST", "/xapi/statements", competency_cohort() + eve)
        memberships = "agent,team,valid_from,valid_to\n" + "".join(
            f"mailto:{n}@example.com,{team},2026-01-01,\n"
            for team, names in (("sales-nl", SALES), ("support-nl", SUPPORT), ("ops-de", OPS), ("legal", LEGAL)) for n in names)
        call(server, "POST", "/admin/people/memberships", raw=memberships.encode(), content_type="text/csv")
        call(server, "POST", "/xapi/statements", _social_statements())
        # A moment before the programme existed: the KPI page as it stood then.
        time.sleep(1.5)
        self.before_kpi = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        time.sleep(1.5)
        call(server, "PUT", f"/admin/programmes/{KPI_PROGRAMME}", PROGRAMME)
        _, headers = call(server, "POST", "/xapi/statements", kpi_cohort())
        call(server, "POST", "/admin/credentials", {
            "scopes": ["statements/write", "statements/read/mine", "competency/read/mine"], "label": "Eve",
            "key": LEARNER_KEY, "secret": LEARNER_SECRET})
        self.head = int(headers["X-LRS-Position"])

    def view(self, path: str, auth: str | None = None, **params: str) -> Any:
        query = urlencode({**params, "minPosition": self.head})
        return call(self.server, "GET", f"{path}?{query}", auth=auth)[0]
