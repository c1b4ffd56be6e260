"""Examples and definitions the social view's OpenAPI and /definitions show."""

from __future__ import annotations

from typing import Any

WINDOW = {"label": "2026-Q3", "from": "2026-07-01", "to": "2026-10-01", "timezone": "Europe/Amsterdam"}
PRIVACY = {"mode": "aggregate", "minGroupSize": 5, "suppressedCells": 0}

OVERVIEW: dict[str, Any] = {
    "position": 184223, "window": WINDOW, "privacy": PRIVACY,
    "activeLearners": 412,
    "socialLearners": {"n": 318, "share": 0.772},
    "isolatedLearners": {"n": 94, "share": 0.228},
    "gatherings": {"n": 57, "byKind": {"discussion": 31, "group": 5, "virtual-classroom": 9, "webinar": 12},
                   "medianSize": 9},
    "coParticipation": {"pairs": 5210, "medianDegree": 14},
    "knowledgeSharing": {"artifacts": 233, "authors": 61, "medianDistinctConsumers": 4, "crossTeamReachShare": 0.41},
    "mentoringPairs": 18,
    "definitions": "/views/social/definitions",
}
TEAMS: dict[str, Any] = {
    "position": 184223, "window": WINDOW, "privacy": {**PRIVACY, "suppressedCells": 2},
    "teams": [
        {"team": "sales-nl", "activeMembers": 23, "socialShare": 0.83, "internalDensity": 0.31, "membersBridging3Plus": 6},
        {"team": "ops-de", "suppressed": True, "reason": "fewer than 5 people"},
    ],
    "ties": [{"a": "sales-nl", "b": "support-nl", "sharedGatherings": 7, "pairs": 41, "newmanWeight": 5.4}],
}
ME: dict[str, Any] = {
    "position": 184223, "window": WINDOW, "privacy": {**PRIVACY, "self": True},
    "active": True, "team": "sales-nl", "coLearners": 17, "teamsReached": 3,
    "gatherings": [{"name": "Q3 theme webinar: customer focus", "kind": "webinar", "date": "2026-07-09", "participants": 48}],
    "contributions": {"artifacts": 4, "distinctConsumers": 22, "repliesReceived": 9, "reactions": 13},
    "mentoring": {"mentors": 1, "mentees": 0},
}
CONTRIBUTIONS: dict[str, Any] = {
    "position": 184223, "window": WINDOW, "privacy": {**PRIVACY, "suppressedCells": 1}, "total": 2,
    "artifacts": [
        {"artifact": "https://lms.example.com/mod/forum/discuss.php?d=812", "kind": "discussion",
         "name": "How we handle returns", "authoredAt": "2026-07-14T09:12:00.000000Z", "distinctConsumers": 22,
         "teamsReached": 4},
        {"artifact": "https://wiki.example.com/pages/onboarding-tips", "kind": "document", "name": "Onboarding tips",
         "authoredAt": "2026-08-02T13:40:00.000000Z", "distinctConsumers": None, "teamsReached": None},
    ],
}
GRAPH: dict[str, Any] = {
    "position": 184223, "window": WINDOW, "privacy": {"mode": "identified", "minGroupSize": 5, "suppressedCells": 0},
    "nodes": [
        {"id": "p-3f9c2a71d04be518", "label": "mbox:mailto:ann@example.com", "team": "sales-nl", "degree": 12, "bridging": 2},
        {"id": "p-81d0e6c2a9f4b733", "label": "mbox:mailto:bob@example.com", "team": "support-nl", "degree": 7, "bridging": 1},
    ],
    "edges": [{"kind": "co_participation", "source": "p-3f9c2a71d04be518", "target": "p-81d0e6c2a9f4b733",
               "weight": 3, "directed": False}],
}
METRICS: dict[str, Any] = {
    "position": 184223, "window": WINDOW, "privacy": {**PRIVACY, "suppressedCells": 2},
    "measure": "betweenness", "level": "team",
    "algorithm": {"library": "networkx", "version": "3.6.1", "function": "betweenness_centrality",
                  "normalized": True, "weight": None, "k": None, "seed": None},
    "approximate": False, "size": {"nodes": 4, "edges": 5},
    "nodes": [{"team": "sales-nl", "value": 0.412}, {"team": "support-nl", "value": 0.118},
              {"team": "ops-de", "suppressed": True, "reason": "fewer than 5 people"}],
}
GRAPHML_EXAMPLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
    '  <graph id="social" edgedefault="directed">\n    <node id="p-3f9c2a71d04be518">...</node>\n'
    '    <edge source="p-3f9c2a71d04be518" target="p-81d0e6c2a9f4b733" directed="false">...</edge>\n'
    "  </graph>\n</graphml>\n"
)

DEFINITIONS: dict[str, Any] = {
    "purpose": (
        "Programme design and evaluation: where collective learning happens, which teams learn in "
        "isolation, what knowledge travels. Not the appraisal of people: the view never joins HR "
        "performance data and ranks no one."
    ),
    "measures": {
        "activeLearners": "agents with any statement in the window",
        "gathering": (
            "first match: a virtual-classroom session (its registration); an identified Group (actor, "
            "context.team, contextGroups); a discussion, forum topic or chat channel (object, parent, grouping); "
            "a meeting, webinar, tutor or conference session on one local day (object, parent)"
        ),
        "participants": (
            "on attend, join, post, reply, ask, answer, session and complete statements: the actor or a Group "
            "actor's listed members, context.team and contextGroups members, the instructor and contextAgents "
            "with their role"
        ),
        "coParticipation.pairs": "two people in the same gathering of 2 to coParticipationCap (50) people",
        "newmanWeight": "per pair, the sum over shared gatherings of 1/(size - 1)",
        "socialLearners": "active learners in a gathering of 2+ or at either end of an interaction with someone",
        "isolatedLearners": "active learners who are not social learners",
        "knowledgeSharing.artifacts": "artifacts (posts, documents, comments) first authored in the window",
        "author": "the earliest valid authoring statement by log position (a voided one hands over to the next)",
        "reach": "distinct people other than the author who consumed, reacted to or replied to the artifact",
        "crossTeamReachShare": "share of (artifact, consumer) pairs where the consumer's team differs from the author's",
        "replies": (
            "to the actor of the statement named in context.statement, else to the author of the object, parent "
            "or grouping activity; Moodle replies name the thread, so they point at the thread's starter"
        ),
        "shares": "a consumption whose context.statement names a share statement is credited to the sharer",
        "team": (
            "HR-imported membership covering the local date wins; else the last join of a group activity not "
            "followed by a leave; in a window, the team at the person's last activity in it"
        ),
        "internalDensity": "pairs inside the team / possible pairs among its active members",
        "membersBridging3Plus": "members whose co-learners belong to 3 or more other teams",
        "mentoringPairs": "distinct (mentor, mentee) pairs from 'mentored' statements with an Agent object",
    },
    "privacy": {
        "mode": "aggregate by default; identified mode needs a legal-basis reference in the store settings",
        "minGroupSize": "no cell shows 0 < n < minGroupSize people (5 by default, never below 3)",
        "minGroupSizePerformance": "10 for score, pass-rate and completion breakdowns by team",
        "complementarySuppression": (
            "when a cell is hidden, the next smallest cells are hidden too until the hidden cells hold at least "
            "minGroupSize people, or the total is withheld"
        ),
        "filters": "a filter (team, programme) selecting fewer than minGroupSize people is refused with 400",
        "pseudonyms": "HMAC-SHA-256 of LRS_PSEUDONYM_SECRET and the agent identifier, truncated to 64 bits",
        "optOut": "an objection removes the person from every answer at once, past included, and from later facts",
        "retention": (
            "person-level answers (me, graph, person-level metrics) read facts of the last personRetentionQuarters "
            "quarters (default 4) up to the store's newest activity; window.from shows where they start"
        ),
    },
    "dataInventory": {
        "actor (Agent, Group members)": ["overview", "teams", "me", "contributions", "graph"],
        "verb.id": ["all: mapped to a social class (attend, author, reply, react, consume, share, mentor ...)"],
        "object.id, object.definition.type, object.definition.name": ["gatherings", "contributions", "me"],
        "object (Agent/Group) of mentored / talked-with": ["overview.mentoringPairs", "me.mentoring", "graph"],
        "context.registration (virtual-classroom category only)": ["gatherings"],
        "context.team, context.contextGroups, context.instructor, context.contextAgents": ["gatherings", "graph"],
        "context.contextActivities.parent / grouping / category": ["gatherings", "reply targets"],
        "context.statement": ["reply targets", "share credit"],
        "context.extensions under the configured groupExtensions keys (Groups only)": ["gatherings", "graph"],
        "timestamp": ["windows", "team at the time", "gathering day"],
        "HR import (agent, team, valid_from, valid_to)": ["teams", "bridging", "crossTeamReachShare"],
        "not used": ["result (scores, responses)", "attachments", "authority", "other extensions"],
    },
}
