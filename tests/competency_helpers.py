"""Fixtures for the competency view's tests: a CASE 1.1 framework (two levels, a
``precedes`` relation, a rubric scale), a course's quizzes and statements about them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

FW = "https://case.example.org/uri/fw-digital"
COLLAB = "https://case.example.org/uri/collab"         # parent
CHAT = "https://case.example.org/uri/collab-chat"      # child, precedes MEET
MEET = "https://case.example.org/uri/collab-meet"      # child
DATA = "https://case.example.org/uri/data-protect"     # top level
QUIZ_CHAT = "https://lms.example.org/quiz/chat"
QUIZ_MEET = "https://lms.example.org/quiz/meet"
QUIZ_CHAT_2 = "https://lms.example.org/quiz/chat-2"
QUIZ_MEET_2 = "https://lms.example.org/quiz/meet-2"
COURSE_MEET = "https://lms.example.org/course/meetings"
QUIZ_DATA = "https://lms.example.org/quiz/gdpr"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ADL = "http://adlnet.gov/expapi/verbs/"


def _link(uri: str, title: str = "") -> dict[str, str]:
    return {"title": title or uri.rsplit("/", 1)[-1], "identifier": uri.rsplit("/", 1)[-1], "uri": uri}


def case_package() -> dict[str, Any]:
    changed = "2026-05-01T00:00:00+00:00"

    def item(uri: str, code: str, statement: str) -> dict[str, Any]:
        return {"identifier": uri.rsplit("/", 1)[-1], "uri": uri, "fullStatement": statement,
                "humanCodingScheme": code, "CFItemType": "Competency", "lastChangeDateTime": changed,
                "CFDocumentURI": _link(FW)}

    def association(kind: str, origin: str, destination: str, n: int) -> dict[str, Any]:
        return {"identifier": f"assoc-{n}", "uri": f"https://case.example.org/uri/assoc-{n}",
                "associationType": kind, "originNodeURI": _link(origin), "destinationNodeURI": _link(destination),
                "lastChangeDateTime": changed}

    levels = [("Novice", 1), ("Competent", 2), ("Proficient", 3), ("Expert", 4)]
    return {
        "CFDocument": {"identifier": "fw-digital", "uri": FW, "creator": "Example Org", "title": "Digital competences",
                       "lastChangeDateTime": changed, "version": "1.0", "caseVersion": "1.1"},
        "CFItems": [item(COLLAB, "DC-2", "Communication and collaboration"),
                    item(CHAT, "DC-2.1", "Use team chat well"),
                    item(MEET, "DC-2.2", "Run an online meeting"),
                    item(DATA, "DC-4", "Protect personal data")],
        "CFAssociations": [association("isChildOf", CHAT, COLLAB, 1), association("isChildOf", MEET, COLLAB, 2),
                           association("isChildOf", COLLAB, FW, 3), association("isChildOf", DATA, FW, 4),
                           association("precedes", CHAT, MEET, 5)],
        "CFRubrics": [{"identifier": "rubric-1", "uri": "https://case.example.org/uri/rubric-1", "title": "Levels",
                       "lastChangeDateTime": changed, "CFRubricCriteria": [{
                           "identifier": "crit-1", "uri": "https://case.example.org/uri/crit-1",
                           "lastChangeDateTime": changed, "CFRubricCriterionLevels": [
                               {"identifier": f"level-{n}", "uri": f"https://case.example.org/uri/level-{n}",
                                "quality": label, "score": n, "position": n, "lastChangeDateTime": changed}
                               for label, n in levels]}]}],
    }



def big_case_package(n: int) -> dict[str, Any]:
    """A CASE package of ``n`` items, ten top-level ones and each next item a child of
    the item at a tenth of its index (a tree four levels deep at 10,000)."""
    changed = "2026-05-01T00:00:00+00:00"
    fw = "https://case.example.org/uri/fw-big"

    def uri(i: int) -> str:
        return f"https://case.example.org/uri/big-{i}"

    items = [{"identifier": f"big-{i}", "uri": uri(i), "fullStatement": f"Skill {i}", "humanCodingScheme": f"B{i}",
              "lastChangeDateTime": changed, "CFDocumentURI": _link(fw)} for i in range(n)]
    associations = [{"identifier": f"big-assoc-{i}", "uri": f"https://case.example.org/uri/big-assoc-{i}",
                     "associationType": "isChildOf", "originNodeURI": _link(uri(i)),
                     "destinationNodeURI": _link(uri(i // 10) if i >= 10 else fw), "lastChangeDateTime": changed}
                    for i in range(n)]
    return {"CFDocument": {"identifier": "fw-big", "uri": fw, "creator": "Example Org", "title": "Big",
                           "lastChangeDateTime": changed, "caseVersion": "1.1"},
            "CFItems": items, "CFAssociations": associations}

ALIGNMENTS = {"alignments": [
    {"activity": QUIZ_CHAT, "competency": CHAT, "type": "assesses", "weight": 1.0},
    {"activity": QUIZ_MEET, "competency": MEET, "type": "assesses", "weight": 1.0},
    {"activity": QUIZ_CHAT_2, "competency": CHAT, "type": "assesses", "weight": 1.0},
    {"activity": QUIZ_MEET_2, "competency": MEET, "type": "assesses", "weight": 1.0},
    {"activity": COURSE_MEET, "competency": MEET, "type": "teaches", "weight": 1.0},
    {"activity": QUIZ_DATA, "competency": DATA, "type": "assesses", "weight": 1.0},
]}

ROLE = {"name": "Meeting host", "source": "esco:occupation/example",
        "requirements": [{"competency": CHAT, "min_level": "Competent", "importance": "essential"},
                         {"competency": MEET, "min_level": 0.7, "importance": "essential"},
                         {"competency": DATA, "min_level": 0.7, "importance": "optional"}]}


def agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name.title(), "mbox": f"mailto:{name}@example.org"}


def scored(who: str, activity: str, scaled: float, days: float, *, success: bool | None = None,
           statement_id: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"score": {"scaled": scaled}}
    if success is not None:
        result["success"] = success
    return {"id": statement_id or str(uuid.uuid4()), "actor": agent(who),
            "verb": {"id": ADL + ("passed" if scaled >= 0.7 else "failed")},
            "object": {"objectType": "Activity", "id": activity}, "result": result,
            "timestamp": (T0 + timedelta(days=days)).isoformat()}


def completed(who: str, activity: str, days: float) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "actor": agent(who), "verb": {"id": ADL + "completed"},
            "object": {"objectType": "Activity", "id": activity}, "result": {"completion": True},
            "timestamp": (T0 + timedelta(days=days)).isoformat()}


def voiding(target: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "actor": agent("admin"), "verb": {"id": ADL + "voided"},
            "object": {"objectType": "StatementRef", "id": target}}


def cohort() -> list[dict[str, Any]]:
    """Ann and Bob proficient in chat and meetings (two quizzes each: one passed quiz
    alone gives confidence 0.39, below c_min), Cy failing the chat quiz."""
    return [
        scored("ann", QUIZ_CHAT, 0.5, 0), scored("ann", QUIZ_CHAT, 0.9, 10), scored("ann", QUIZ_CHAT_2, 0.8, 11),
        scored("ann", QUIZ_MEET, 0.8, 20), scored("ann", QUIZ_MEET_2, 0.9, 21),
        scored("bob", QUIZ_CHAT, 0.95, 5), scored("bob", QUIZ_CHAT_2, 0.9, 5), scored("bob", QUIZ_MEET, 0.9, 6),
        scored("bob", QUIZ_MEET_2, 0.85, 6), completed("bob", COURSE_MEET, 4),
        scored("cy", QUIZ_CHAT, 0.4, 30, success=False),
    ]


# A small ESCO download (the columns of the v1.1 CSVs that the converter reads, and
# some it does not): two occupations, four skills, one skill of a collection.
ESCO = "http://data.europa.eu/esco/"
ESCO_SKILLS = (
    "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description\n"
    f"KnowledgeSkillCompetence,{ESCO}skill/s-python,knowledge,cross-sector,Python,,A language\n"
    f"KnowledgeSkillCompetence,{ESCO}skill/s-sql,knowledge,cross-sector,SQL,,\"Queries, joins\"\n"
    f"KnowledgeSkillCompetence,{ESCO}skill/s-teach,skill/competence,transversal,coach colleagues,,\n"
    f"KnowledgeSkillCompetence,{ESCO}skill/s-mail,skill/competence,transversal,use e-mail,,\n"
)
ESCO_RELATIONS = (
    "occupationUri,relationType,skillType,skillUri\n"
    f"{ESCO}occupation/o-data,essential,knowledge,{ESCO}skill/s-python\n"
    f"{ESCO}occupation/o-data,essential,knowledge,{ESCO}skill/s-sql\n"
    f"{ESCO}occupation/o-data,optional,skill/competence,{ESCO}skill/s-teach\n"
    f"{ESCO}occupation/o-data,optional,knowledge,{ESCO}skill/s-not-in-this-release\n"
    f"{ESCO}occupation/o-lead,essential,skill/competence,{ESCO}skill/s-teach\n"
)
ESCO_OCCUPATIONS = (
    "conceptType,conceptUri,iscoGroup,preferredLabel,description,code\n"
    f"Occupation,{ESCO}occupation/o-data,2521,data engineer,,2521.1\n"
    f"Occupation,{ESCO}occupation/o-lead,1213,team lead,,1213.4\n"
)
ESCO_COLLECTION = f"conceptType,conceptUri,preferredLabel\nKnowledgeSkillCompetence,{ESCO}skill/s-mail,use e-mail\n"
