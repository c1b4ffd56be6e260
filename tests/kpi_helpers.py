"""A programme and a cohort for the KPI view's tests (no ``test_`` prefix):
an onboarding programme of three modules with a survey, twelve learners over
two quarters (2026-Q2 and 2026-Q3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
ROOT = "https://lms.example.com/course/42"
MODULES = [f"{ROOT}/m{i}" for i in (1, 2, 3)]
SATISFACTION = "https://lms.example.com/feedback/7/item/3"
NPS_ITEM = "https://lms.example.com/feedback/7/item/4"
CHECKLIST = "http://id.tincanapi.com/activitytype/checklist"

PROGRAMME = {
    "name": {"en": "Onboarding 2026"},
    "roots": [ROOT],
    "modules": MODULES,
    "tags": ["https://example.com/themes/2026-Q3-customer-focus"],
    "completion": "all-modules",
    "surveys": [
        {"activity": SATISFACTION, "metric": "satisfaction", "scale": [1, 5]},
        {"activity": NPS_ITEM, "metric": "nps"},
    ],
    "application": {"activityTypes": [CHECKLIST], "withinDays": 90},
    "theme": {"quarter": "2026-Q3", "label": {"en": "Customer focus"}},
}


def learner(i: int) -> dict[str, Any]:
    return {"objectType": "Agent", "name": f"Learner {i}", "mbox": f"mailto:learner{i}@example.com"}


def st(actor: dict[str, Any], verb: str, activity: str, at: datetime, *, result: dict[str, Any] | None = None,
       parent: str | None = ROOT, kind: str | None = None, team: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(uuid.uuid4()), "actor": actor, "verb": {"id": verb if "://" in verb else ADL + verb},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    if kind or activity in MODULES:
        out["object"]["definition"] = {"name": {"en": f"Module {activity[-1]}"}} if activity in MODULES else {}
        if kind:
            out["object"]["definition"]["type"] = kind
    context: dict[str, Any] = {}
    if parent:
        context["contextActivities"] = {"parent": [{"id": parent}]}
    if team:
        context["team"] = {"objectType": "Group", "mbox": "mailto:team-a@example.com"}
    if context:
        out["context"] = context
    if result:
        out["result"] = result
    return out


def cohort() -> list[dict[str, Any]]:
    """Learners 0-5 start in May (2026-Q2, in teams), 6-11 in July (2026-Q3, solo).

    Everyone attempts and completes m1; 0-9 complete m2; 0-7 complete m3 (so they
    complete the programme); 0-6 pass the m3 test, 7 fails it; 8-11 stop. Every
    learner answers the survey: satisfaction 4 (even) or 5 (odd); NPS 10 (i % 3
    == 0), 8 (i % 3 == 1) or 5. Completers 0-3 tick a checklist 30 days later.
    """
    out = []
    for i in range(12):
        start = datetime(2026, 5, 4, 9, tzinfo=UTC) if i < 6 else datetime(2026, 7, 6, 9, tzinfo=UTC)
        at = start + timedelta(days=i)
        who, team = learner(i), i < 6
        out.append(st(who, "attempted", MODULES[0], at, team=team))
        out.append(st(who, "completed", MODULES[0], at + timedelta(hours=1), result={"duration": "PT1H"}, team=team))
        if i < 10:
            out.append(st(who, "completed", MODULES[1], at + timedelta(days=2), result={"duration": "PT30M"}, team=team))
        else:
            out.append(st(who, "attempted", MODULES[1], at + timedelta(days=2), team=team))
        if i < 8:
            out.append(st(who, "passed" if i < 7 else "failed", MODULES[2], at + timedelta(days=5),
                          result={"score": {"scaled": 0.6 + i * 0.05}, "success": i < 7}, team=team))
            out.append(st(who, "completed", MODULES[2], at + timedelta(days=5, hours=1), team=team))
        out.append(st(who, "answered", SATISFACTION, at + timedelta(days=6), parent=None,
                      result={"response": "4" if i % 2 == 0 else "5"}))
        out.append(st(who, "answered", NPS_ITEM, at + timedelta(days=6), parent=None,
                      result={"response": ("10", "8", "5")[i % 3]}))
        if i < 4:
            out.append(st(who, "completed", f"https://lms.example.com/checklist/{i}", at + timedelta(days=35),
                          parent=None, kind=CHECKLIST))
    return out
