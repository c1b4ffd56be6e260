"""The normalisation map of the social view: verb IRIs to social classes, activity
types to gathering and artifact kinds, context roles (design appendix A).

Data, versioned with the projection: changing it changes ``MAP_DIGEST`` and so the
projection's version, and the view is rebuilt from the log.
"""

from __future__ import annotations

import zlib

import orjson

ADL = "http://adlnet.gov/expapi/verbs/"
AS = "http://activitystrea.ms/"
AS1 = "http://activitystrea.ms/schema/1.0/"
TC = "http://id.tincanapi.com/verb/"
AX = "https://w3id.org/xapi/acrossx/verbs/"
VIDEO = "https://w3id.org/xapi/video/verbs/"

# Verb IRI -> social class. Both activitystrea.ms forms are listed (emitters use both).
VERBS: dict[str, str] = {
    ADL + "attended": "attend",
    ADL + "joined": "join",
    AS + "join": "join", AS1 + "join": "join",
    AS + "attend": "attend", AS1 + "attend": "attend",
    AS + "leave": "leave", AS1 + "leave": "leave",
    ADL + "left": "leave",
    AS + "create": "author", AS1 + "create": "author",
    AX + "posted": "author",
    AS + "send": "author", AS1 + "send": "author",
    TC + "replied": "reply",
    ADL + "commented": "reply",
    ADL + "asked": "ask",
    ADL + "answered": "answer",
    ADL + "shared": "share",
    AS + "share": "share", AS1 + "share": "share",
    AX + "liked": "react", AX + "disliked": "react",
    AS + "like": "react", AS1 + "like": "react",
    TC + "voted-up": "react", TC + "voted-down": "react", TC + "applauded": "react", TC + "rated": "react",
    "https://w3id.org/xapi/openedx/verb/voted": "react",
    "http://curatr3.com/define/verb/voted-up": "react",
    TC + "viewed": "consume",
    ADL + "experienced": "consume",
    VIDEO + "played": "consume", VIDEO + "paused": "consume", VIDEO + "seeked": "consume",
    TC + "mentored": "mentor",
    TC + "talked-with": "talk",
    ADL + "initialized": "session", ADL + "terminated": "session",
    TC + "adjourned": "session", TC + "live": "session",
    ADL + "completed": "complete",
}

# Classes that make the agents of a statement participants of its gathering.
PARTICIPATING = frozenset(("attend", "join", "author", "reply", "ask", "answer", "session", "complete"))
# Classes whose statements' actors are remembered, for replies through context.statement.
SOCIAL = frozenset(("author", "reply", "ask", "answer", "share", "attend", "join", "session"))

TCA = "http://id.tincanapi.com/activitytype/"
AXA = "https://w3id.org/xapi/acrossx/activities/"
VIRTUAL_CLASSROOM_TYPE = "https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom"
# The virtual-classroom profile's category activity: its registration is the session.
VIRTUAL_CLASSROOM_CATEGORY = "https://w3id.org/xapi/virtual-classroom"

# Thread-like gatherings: keyed by the activity (rule 2.3).
THREADS: dict[str, str] = {
    TCA + "discussion": "discussion",
    TCA + "forum-topic": "discussion",
    TCA + "chat-channel": "chat",
    AXA + "online-discussion": "discussion",
    AXA + "collaboration": "collaboration",
}
# Occasions: keyed by the activity and the local date of the timestamp (rule 2.4).
OCCASIONS: dict[str, str] = {
    "http://adlnet.gov/expapi/activities/meeting": "meeting",
    TCA + "webinar": "webinar",
    TCA + "tutor-session": "tutor-session",
    TCA + "conference-session": "conference-session",
    AXA + "face-to-face-discussion": "meeting",
    VIRTUAL_CLASSROOM_TYPE: "virtual-classroom",
}
# Activities a person joins and leaves as a member (a team, a learning group).
GROUP_TYPES = frozenset((
    "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/group",
    AS + "group", AS1 + "group",
))
# Knowledge shared: what authoring makes.
ARTIFACTS: dict[str, str] = {
    TCA + "forum-topic": "forum-topic",
    TCA + "forum-reply": "forum-reply",
    TCA + "chat-message": "chat-message",
    TCA + "document": "document",
    TCA + "blog": "blog",
    TCA + "status-update": "status-update",
    AXA + "message": "message",
    AS + "comment": "comment", AS1 + "comment": "comment",
    AS + "review": "review", AS1 + "review": "review",
    TCA + "discussion": "discussion",
    AXA + "online-discussion": "discussion",
}
# contextAgents / contextGroups relevantTypes -> role (xAPI 2.0 Data 2.4.6).
ROLES: dict[str, str] = {
    "https://w3id.org/xapi/virtual-classroom/activity-types/instructor": "instructor",
    "http://id.tincanapi.com/activitytype/instructor": "instructor",
    "https://w3id.org/xapi/social/roles/instructor": "instructor",
    "https://w3id.org/xapi/social/roles/facilitator": "facilitator",
    "https://w3id.org/xapi/social/roles/mentor": "mentor",
    "http://id.tincanapi.com/extension/observer": "observer",
    "https://w3id.org/xapi/social/roles/observer": "observer",
    "https://w3id.org/xapi/social/roles/team": "learner",
}
ROLE_NAMES = ("learner", "instructor", "facilitator", "mentor", "observer")

MAP = {
    "verbs": VERBS, "threads": THREADS, "occasions": OCCASIONS, "groups": sorted(GROUP_TYPES),
    "artifacts": ARTIFACTS, "roles": ROLES, "participating": sorted(PARTICIPATING), "social": sorted(SOCIAL),
}
MAP_DIGEST = zlib.crc32(orjson.dumps(MAP, option=orjson.OPT_SORT_KEYS)) % 100_000


def verb_class(verb_id: str) -> str | None:
    return VERBS.get(verb_id)
