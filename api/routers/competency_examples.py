"""OpenAPI examples of the competency view's answers (numbers follow the model's defaults)."""

from __future__ import annotations

_HEAD = {"position": 184233, "at": "2026-12-01T09:00:00.000000Z"}
ANN = {"mbox": "mailto:ann@example.org"}
A1 = "https://case.example.org/uri/a1"

FRAMEWORKS = {**_HEAD, "frameworks": [
    {"id": "https://case.example.org/uri/fw", "title": "Digital competences", "format": "case-1.1", "version": "2.0",
     "retired": False, "items": 21, "scale": [{"label": "Novice", "min_score": 0.0}, {"label": "Proficient", "min_score": 0.7}],
     "sourceSha256": "9f2c…"}]}

PROFILE = {**_HEAD, "agent": ANN, "framework": {"id": "https://case.example.org/uri/fw", "title": "Digital competences"},
           "competencies": [
               {"iri": A1, "code": "DC-2.1", "name": "Collaborate with digital tools", "status": "proficient",
                "level": 0.85, "label": "Proficient", "confidence": 0.62, "threshold": 0.7, "evidenceCount": 3,
                "sources": 3, "firstEvidenceAt": "2026-06-30T12:00:00.000000Z",
                "lastEvidenceAt": "2026-10-14T08:20:00.000000Z", "validUntil": None, "reason": "RECENT_HIGHER"}],
           "rollups": [{"iri": "https://case.example.org/uri/p1", "name": "Communication and collaboration",
                        "coverage": {"proficient": 3, "children": 5}, "level": 0.66, "derived": True}]}

EVIDENCE = {**_HEAD, "competency": A1,
            "cell": {"level": 0.85, "confidence": 0.62, "massLast": 2.13, "tLast": "2026-10-14T08:20:00.000000Z",
                     "status": "proficient",
                     "params": {"theta": 0.7, "hLevelDays": 90, "hConfDays": 365, "k": 2.0, "cMin": 0.5}},
            "evidence": [
                {"statement": "8c1e…", "activity": "https://lms.example.org/quiz/teams-1", "kind": "assessment",
                 "score": 0.9, "weight": 1.0, "recencyWeight": 1.0, "time": "2026-10-14T08:20:00.000000Z",
                 "path": "context.contextActivities.parent", "active": True},
                {"statement": "0d9a…", "activity": "https://lms.example.org/quiz/teams-1", "kind": "assessment",
                 "score": 0.55, "weight": 1.0, "time": "2026-03-02T10:11:00.000000Z",
                 "path": "context.contextActivities.parent", "active": False, "supersededBy": "8c1e…"}]}

HISTORY = {**_HEAD, "competency": A1, "points": [
    {"at": "2026-10-01T09:00:00.000000Z", "status": "developing", "level": 0.62, "confidence": 0.33},
    {"at": "2026-11-01T09:00:00.000000Z", "status": "proficient", "level": 0.85, "confidence": 0.64}]}

ASSERTIONS = {**_HEAD, "agent": ANN, "format": "xapi", "flavour": "lcp", "statements": [
    {"id": "0b3e3f0c-…", "actor": ANN,
     "verb": {"id": "https://w3id.org/xapi/comp/verbs/achievedcompetency", "display": {"en": "achieved competency"}},
     "object": {"objectType": "Activity", "id": A1,
                "definition": {"type": "https://w3id.org/xapi/comp/activities/competency",
                               "name": {"en": "Collaborate with digital tools"}}},
     "result": {"success": True, "score": {"scaled": 0.85},
                "extensions": {"https://w3id.org/xapi/tla/extensions/confidence": 0.62}},
     "context": {"extensions": {"https://w3id.org/xapi/tla/extensions/evidence": ["8c1e…", "5f27…"]}},
     "timestamp": "2026-10-14T08:20:00.000000Z"}]}

EXPERTS = {**_HEAD, "competency": A1, "experts": [
    {"agent": ANN, "level": 0.85, "confidence": 0.62, "score": 0.53, "evidenceCount": 3, "sources": 3,
     "lastEvidenceAt": "2026-10-14T08:20:00.000000Z"}]}

PAIRINGS = {**_HEAD, "competency": A1, "team": "support",
            "pairings": [{"expert": ANN, "learners": [{"mbox": "mailto:cy@example.org"}]}], "unpaired": []}

_REC = {"activity": "https://lms.example.org/quiz/gdpr-check", "alignment": "assesses", "weight": 1.0, "passRate": 0.81,
        "competency": "https://case.example.org/uri/b7",
        "why": ["verifies a stale competency", "prerequisites met", "pass rate 0.81"]}

GAPS = {**_HEAD, "agent": ANN, "role": {"id": "helpdesk-lead", "name": "Helpdesk lead", "source": "esco:occupation/…"},
        "readiness": 0.33,
        "met": [{"competency": A1, "name": "Collaborate with digital tools", "importance": "essential",
                 "required": 0.7, "level": 0.85, "confidence": 0.62}],
        "gaps": [{"competency": "https://case.example.org/uri/b7", "name": "Protect personal data",
                  "importance": "essential", "required": 0.7, "level": 0.78, "confidence": 0.31,
                  "gapType": "stale", "gap": 0.0, "recommendations": [_REC],
                  "helpers": [{"agent": {"mbox": "mailto:bob@example.org"}, "level": 0.93, "confidence": 0.88,
                               "sameTeam": True}]}]}

RECOMMENDATIONS = {**_HEAD, "agent": ANN, "role": GAPS["role"],
                   "recommendations": [{**_REC, "gap": "https://case.example.org/uri/b7"}]}

HEATMAP = {**_HEAD, "team": "support", "members": 12, "rows": [
    {"competency": A1, "name": "Collaborate with digital tools", "proficient": 7, "needsRefresh": 2,
     "developing": 2, "lapsed": 0, "none": 1, "meanLevel": 0.71}]}

COVERAGE = {**_HEAD, "minExperts": 2, "competencies": 14, "atRisk": [
    {"competency": "https://case.example.org/uri/c3", "name": "Coach team members", "proficient": 1, "experts": [ANN]}]}


# Request bodies of the configuration routes (api.routers.competency_admin).

FRAMEWORK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "A CASE 1.0/1.1 CFPackage, or {id, title, items, scale, relations}"},
                "example": {
                    "id": "urn:fw:digital", "title": "Digital competences",
                    "items": [{"id": "urn:fw:digital:collab", "name": "Collaborate with digital tools", "code": "DC-2.1"},
                              {"id": "urn:fw:digital:collab:chat", "parent": "urn:fw:digital:collab",
                               "name": "Use team chat", "code": "DC-2.1.1", "mastery_threshold": 0.8}],
                    "scale": [{"label": "Novice", "min_score": 0}, {"label": "Proficient", "min_score": 0.7}],
                    "relations": [{"source": "urn:fw:digital:collab:chat", "target": "urn:fw:digital:collab", "type": "precedes"}],
                },
            },
            "text/csv": {"schema": {"type": "string"}, "example": "id,parent,name,code,mastery_threshold\nurn:c:1,,Listen,C1,0.7\n"},
        },
    }
}


ALIGNMENTS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"example": {
    "alignments": [{"activity": "https://lms.example.org/quiz/teams-1", "competency": "urn:fw:digital:collab",
                    "type": "assesses", "weight": 1.0}]}}}}}


ROLE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"example": {
    "name": "Helpdesk lead", "source": "esco:occupation/…",
    "requirements": [{"competency": "urn:fw:digital:collab", "min_level": "Proficient", "importance": "essential"},
                     {"competency": "urn:fw:digital:collab:chat", "min_level": 0.6, "importance": "optional"}]}}}}}
TEAM_BODY = {"requestBody": {"required": True, "content": {"application/json": {"example": {
    "name": "Support", "members": [{"mbox": "mailto:ann@example.org"}, {"mbox": "mailto:bob@example.org"}]}}}}}

SETTINGS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"example": {
    "negativeEvidence": False}}}}}
