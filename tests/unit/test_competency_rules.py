"""Evidence rules E1-E5 over alignment sources A1-A5 (projections.competency.logic),
one statement at a time, with the configuration given directly."""

from __future__ import annotations

from typing import Any

import pytest

from projections.competency import logic

C1, C2, C3 = "urn:c:1", "urn:c:2", "urn:c:3"
QUIZ = "https://lms.example.org/quiz"
STORED = "2026-06-01T00:00:00Z"


class Config:
    def __init__(self, alignments: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.known = {C1: 0.7, C2: 0.8, C3: None}
        self.aligned = alignments or {}

    def threshold(self, iri: str) -> float | None:
        if iri not in self.known:
            return None
        return self.known[iri] or 0.7

    def alignments(self, activity: str) -> list[dict[str, Any]]:
        return self.aligned.get(activity, [])


def statement(verb: str, obj: str = QUIZ, **extra: Any) -> dict[str, Any]:
    return {"id": "5c1e0b1a-0000-4000-8000-000000000001", "actor": {"mbox": "mailto:ann@example.org"},
            "verb": {"id": verb}, "object": {"objectType": "Activity", "id": obj},
            "stored": STORED, "timestamp": "2026-05-01T00:00:00Z", **extra}


def evidence(stmt: dict[str, Any], config: Config | None = None) -> list[dict[str, Any]]:
    observation = logic.observe(stmt)
    assert observation is not None
    return logic.extract(observation, config or Config())


def test_e1_an_assertion_about_the_competency_itself_with_tla_confidence() -> None:
    rows = evidence(statement(logic.TLA + "asserted", C1, result={"extensions": {logic.CONFIDENCE_EXT: 0.5}}))
    assert [(r["competency_iri"], r["kind"], r["s"], r["w"], r["path"]) for r in rows] == [
        (C1, "authority", 0.75, 3.0, "object.id")]


def test_e1_conferred_names_the_learner_as_object_and_the_competency_in_grouping() -> None:
    stmt = statement(logic.TLA + "conferred", context={"contextActivities": {"grouping": [{"id": C2}]}})
    stmt["actor"] = {"mbox": "mailto:registrar@example.org"}
    stmt["object"] = {"objectType": "Agent", "mbox": "mailto:ann@example.org"}
    observation = logic.observe(stmt)
    assert observation is not None and observation["learner"] == {"objectType": "Agent", "mbox": "mailto:ann@example.org"}
    assert [(r["competency_iri"], r["kind"], r["s"]) for r in logic.extract(observation, Config())] == [
        (C2, "authority", 1.0)]


def test_e2_expiry_or_revocation_lapses_a_proficient_cell() -> None:
    revoked = statement(logic.TLA + "revoked", context={"contextActivities": {"grouping": [{"id": C1}]}})
    revoked["actor"] = {"mbox": "mailto:registrar@example.org"}
    revoked["object"] = {"objectType": "Agent", "mbox": "mailto:ann@example.org"}
    assert [(r["competency_iri"], r["kind"]) for r in evidence(revoked)] == [(C1, "lifecycle")]
    rows = evidence(statement(logic.TLA + "expired", C1))
    assert [r["kind"] for r in rows] == ["lifecycle"]
    gained = {"statement_id": "a", "activity_iri": C1, "authority": "x", "valid_until_us": None, **evidence(
        statement(logic.TLA + "mastered", C1))[0], "t_us": 0}
    lost = {"statement_id": "b", "activity_iri": C1, "authority": "x", "valid_until_us": None, **rows[0], "t_us": 10}
    cell = logic.recompute([gained, lost], 0.7)
    assert cell is not None and logic.status(cell, 20) == "lapsed"


@pytest.mark.parametrize(("result", "mastery", "expected"), [
    ({"score": {"scaled": 0.9}}, None, 0.9),
    ({"score": {"scaled": -0.4}}, None, 0.0),
    ({"score": {"scaled": 0.6}, "success": True}, 0.6, 0.7),      # passed by the cmi5 mastery score: at θ
    ({"score": {"scaled": 0.9}, "success": False}, None, 0.69),   # failed: just below θ
    ({"success": True}, None, 1.0),
    ({"success": False}, None, 0.0),
])
def test_e3_assessed_results(result: dict[str, Any], mastery: float | None, expected: float) -> None:
    context: dict[str, Any] = {"contextActivities": {"parent": [{"id": C1}]}}
    if mastery is not None:
        context["extensions"] = {logic.MASTERY_EXT: mastery}
    rows = evidence(statement(logic.ADL + "answered", result=result, context=context))
    assert [(r["kind"], r["w"]) for r in rows] == [("assessment", 1.0)]
    assert rows[0]["s"] == pytest.approx(expected)


def test_e4_completion_is_weak_exposure_and_teaches_halves_an_assessment() -> None:
    config = Config({QUIZ: [{"competency_iri": C1, "type": "teaches", "weight": 0.8}]})
    done = evidence(statement(logic.ADL + "completed"), config)
    assert [(r["kind"], r["s"], r["w"], r["path"]) for r in done] == [("exposure", 1.0, 0.25 * 0.8, "alignment:admin")]
    scored = evidence(statement(logic.ADL + "answered", result={"score": {"scaled": 0.5}}), config)
    assert scored[0]["w"] == pytest.approx(0.4)


def test_e5_expiry_sets_valid_until() -> None:
    stmt = statement(logic.TLA + "achieved", C1, context={"extensions": {logic.EXPIRES_EXT: "2027-01-01T00:00:00Z"}})
    row = {"statement_id": "a", "activity_iri": C1, "authority": "x", **evidence(stmt)[0], "t_us": 0}
    cell = logic.recompute([row], 0.7)
    assert cell is not None and cell["valid_until_us"] == logic.micros("2027-01-01T00:00:00Z")
    assert logic.status(cell, cell["valid_until_us"] + 1) == "lapsed"


def test_sources_a2_to_a4_and_only_known_competencies_count() -> None:
    stmt = statement(logic.ADL + "answered", result={"success": True}, context={"contextActivities": {
        "other": [{"id": C1}], "category": [{"id": "urn:not-a-competency"}]}})
    stmt["object"]["definition"] = {"moreInfo": C2, "extensions": {logic.ALIGNMENT_EXT: [
        {"competency": C3, "type": "assesses", "weight": 0.5}, {"competency": "urn:unknown"}]}}
    rows = {r["competency_iri"]: r for r in evidence(stmt)}
    assert set(rows) == {C1, C2, C3}
    assert (rows[C1]["w"], rows[C1]["path"]) == (0.5, "context.contextActivities.other")
    assert (rows[C2]["w"], rows[C2]["path"]) == (0.5, "object.definition.moreInfo")  # teaches: x0.5
    assert (rows[C3]["w"], rows[C3]["path"]) == (0.5, "object.definition.extensions")


def test_nothing_to_observe_in_a_plain_statement_or_from_a_group() -> None:
    assert logic.observe(statement(logic.ADL + "experienced")) is None
    grouped = statement(logic.ADL + "answered", result={"success": True})
    grouped["actor"] = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}
    assert logic.observe(grouped) is None


def test_evidence_time_is_never_after_stored() -> None:
    future = statement(logic.ADL + "answered", result={"success": True}, timestamp="2030-01-01T00:00:00Z")
    observation = logic.observe(future)
    assert observation is not None and observation["t_us"] == logic.micros(STORED)


def test_framework_imports_refuse_what_they_cannot_hold() -> None:
    from lrs.competency import frameworks
    from lrs.errors import BadRequest
    from tests.competency_helpers import case_package

    twice = case_package()
    twice["CFItems"].append(dict(twice["CFItems"][0]))
    with pytest.raises(BadRequest, match=r"\$\.CFItems\[4\]\.uri: .* listed twice"):
        frameworks.case_package(twice)
    with pytest.raises(BadRequest, match=r"\$\.items\[1\]\.parent"):
        frameworks.parse(b'{"id": "urn:f", "items": [{"id": "urn:a"}, {"id": "urn:b", "parent": "urn:zz"}]}')
    with pytest.raises(BadRequest, match="loops"):
        frameworks.parse(b'{"id": "urn:f", "items": [{"id": "urn:a", "parent": "urn:b"}, {"id": "urn:b", "parent": "urn:a"}]}')
    with pytest.raises(BadRequest, match=r"\$\.items\[0\]\.mastery_threshold"):
        frameworks.parse(b"id,name,mastery_threshold\nurn:a,A,1.5\n", "text/csv", framework_id="urn:f")
    parsed = frameworks.case_package(case_package())
    assert parsed["format"] == "case-1.1"
    assert [b["label"] for b in parsed["scale"]] == ["Novice", "Competent", "Proficient", "Expert"]
    assert parsed["scale"][1]["min_score"] == 0.5
    assert parsed["relations"] == [{"source": "https://case.example.org/uri/collab-chat",
                                    "target": "https://case.example.org/uri/collab-meet", "type": "precedes"}]


@pytest.mark.parametrize("form", ["case", "json", "csv"])
def test_parsing_reports_progress_over_the_items(form: str) -> None:
    import json

    from lrs.competency import frameworks
    from tests.competency_helpers import big_case_package

    n = 1_234
    if form == "case":
        body, media = json.dumps(big_case_package(n)).encode(), "application/json"
    elif form == "json":
        body = json.dumps({"id": "urn:f", "items": [{"id": f"urn:f:{i}", "name": str(i)} for i in range(n)]}).encode()
        media = "application/json"
    else:
        body, media = ("id,name\n" + "".join(f"urn:f:{i},{i}\n" for i in range(n))).encode(), "text/csv"
    reports: list[tuple[int, int]] = []
    parsed = frameworks.parse(body, media, framework_id="urn:f", progress=lambda done, total: reports.append((done, total)))
    assert len(parsed["items"]) == n
    assert reports == [(0, n), (500, n), (1000, n), (n, n)]


def test_esco_skills_become_a_framework_and_occupations_roles() -> None:
    import json

    from lrs.competency import esco, frameworks
    from lrs.errors import BadRequest
    from tests.competency_helpers import (
        ESCO,
        ESCO_COLLECTION,
        ESCO_OCCUPATIONS,
        ESCO_RELATIONS,
        ESCO_SKILLS,
    )

    framework, roles = esco.convert(
        ESCO_SKILLS.encode(), ESCO_RELATIONS.encode(), occupations=[f"{ESCO}occupation/o-data"],
        collection=ESCO_COLLECTION.encode(), occupation_names=ESCO_OCCUPATIONS.encode(),
        framework_id="urn:esco:fw", title="ESCO")
    parsed = frameworks.parse(json.dumps(framework).encode())
    assert [(i["iri"], i["name"]) for i in parsed["items"]] == [
        (f"{ESCO}skill/s-python", "Python"), (f"{ESCO}skill/s-sql", "SQL"),
        (f"{ESCO}skill/s-teach", "coach colleagues"), (f"{ESCO}skill/s-mail", "use e-mail")]
    # The relation to a skill missing from the skills file is left out.
    assert roles == {"esco-o-data": {
        "name": "data engineer", "source": f"{ESCO}occupation/o-data", "requirements": [
            {"competency": f"{ESCO}skill/s-python", "min_level": 0.7, "importance": "essential"},
            {"competency": f"{ESCO}skill/s-sql", "min_level": 0.7, "importance": "essential"},
            {"competency": f"{ESCO}skill/s-teach", "min_level": 0.7, "importance": "optional"}]}}
    refusals = [
        (dict(occupations=[f"{ESCO}occupation/o-none"]), "occupation .*o-none: has no skill relations"),
        (dict(occupations=[], skills=b"conceptUri,label\n"), "skills: needs the column\\(s\\) preferredLabel"),
        (dict(occupations=[], relations=ESCO_RELATIONS.replace("optional,knowledge", "maybe,knowledge").encode()),
         "relations row 5, relationType"),
        (dict(occupations=[], collection=b"conceptUri\nhttp://x.example/s\n"), "collection row 2, conceptUri"),
        (dict(occupations=[]), "nothing to convert"),
    ]
    for change, message in refusals:
        arguments: dict[str, Any] = {"skills": ESCO_SKILLS.encode(), "relations": ESCO_RELATIONS.encode(),
                                     "framework_id": "urn:esco:fw", "title": "ESCO", **change}
        with pytest.raises(BadRequest, match=message):
            esco.convert(**arguments)
