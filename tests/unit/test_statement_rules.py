"""Hand-written, table-driven cases for the edges of the statement rules.

Each case cites where its verdict comes from: "Data x.y" is ``xAPI-Data.md`` (1.0.3),
"Comm x.y" is ``xAPI-Communication.md``, "About" the definitions in ``xAPI-About.md``,
"9274" the xAPI 2.0 standard (IEEE 9274.1.1), and "policy" one of the project's choices
where the spec leaves the LRS free (see tests/mutations.py).

Decisions on odd-but-valid cases:

* An account ``homePage`` that is a URN is ACCEPTED. About defines an IRL as "an IRI that,
  when translated into a URI, is a URL", so a URN is strictly not an IRL; but the LRS is
  only required to reject IRLs "without a scheme" (Data 2.2.s4.b1.b8), "MAY use
  best-effort validation for IRL and IRI formats" (Data 2.2.s4.b6), and the project's
  policy applies the IRI rule (absolute, with a scheme) to IRL fields. Whether a string
  is a *locator* cannot be decided syntactically, so it is not rejected.
* Language tags are case-insensitive (RFC 5646 2.1.1, which Data 4.2 points to), so
  "en-us" is accepted like "en-US".
* A timestamp in the future is accepted for a Statement too: "An LRS SHOULD* NOT reject
  a timestamp for having a greater value than the current time" (Data 2.4.7.s3.b6).
* More than six fractional digits in a timestamp are accepted: RFC 3339 puts no limit on
  them and the LRS "MAY be truncated or rounded to a precision of at least 3 decimal
  digits" (Data 4.5.s1.b7).
* ``"extensions": null`` is REJECTED: the null is the value of the "extensions"
  property itself, not a value inside an extensions map (Data 2.2.s4.b1.b1).
* The 1.0.3 duration example "P16559.14S" (Data 4.6.s2 table) is not tested either way:
  ISO 8601 requires the "T" before seconds (xAPI 2.0 corrects it to "PT16559.14S").
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import pytest

from lrs.errors import InvalidStatement
from lrs.xapi.validation import validate_statement
from tests.mutations import path_matches

BOTH = ("1.0.3", "2.0.0")
V1 = ("1.0.3",)
V2 = ("2.0.0",)


class Case(NamedTuple):
    name: str
    cite: str
    statement: Any
    versions: tuple[str, ...] = BOTH
    path: tuple[str, ...] | None = None  # None: valid; else acceptable path prefixes


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------

# Data 2.4.s2: "the simplest possible Statement using all properties that MUST or SHOULD be used"
SIMPLEST = {
    "id": "12345678-1234-5678-1234-567812345678",
    "actor": {"mbox": "mailto:xapi@adlnet.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/created", "display": {"en-US": "created"}},
    "object": {"id": "http://example.adlnet.gov/xapi/example/activity"},
}


def stmt(**parts: Any) -> dict:
    """SIMPLEST with some top-level properties replaced (None removes one)."""
    out = copy.deepcopy(SIMPLEST)
    for key, value in parts.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def actor(**agent: Any) -> dict:
    return stmt(actor=agent)


def obj(**activity_or_other: Any) -> dict:
    return stmt(object=activity_or_other)


def definition(**d: Any) -> dict:
    return stmt(object={"id": "http://example.com/q", "definition": d})


def result(**r: Any) -> dict:
    return stmt(result=r)


def score(**s: Any) -> dict:
    return stmt(result={"score": s})


def context(**c: Any) -> dict:
    return stmt(context=c)


def attachment(**overrides: Any) -> dict:
    a = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": 27,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    }
    for key, value in overrides.items():
        if value is None:
            a.pop(key)
        else:
            a[key] = value
    return stmt(attachments=[a])


def sub(**overrides: Any) -> dict:
    s = {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
        "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
        "object": {"objectType": "Activity", "id": "http://example.com/website"},
    }
    s.update(overrides)
    return stmt(object=s)


ANNA = {"mbox": "mailto:anna@example.com"}
AN_ACTIVITY = {"id": "http://example.com/activities/1"}
A_REF = {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}
A_CONTEXT_AGENT = {"objectType": "contextAgent", "agent": ANNA}
A_CONTEXT_GROUP = {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [ANNA]}}

# ---------------------------------------------------------------------------------------
# The spec's own examples (all MUST be accepted)
# ---------------------------------------------------------------------------------------

APPENDIX_A_LONG = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {
        "name": "Team PB",
        "mbox": "mailto:teampb@example.com",
        "member": [
            {
                "name": "Andrew Downes",
                "account": {"homePage": "http://www.example.com", "name": "13936749"},
                "objectType": "Agent",
            },
            {
                "name": "Toby Nichols",
                "openid": "http://toby.openid.example.org/",
                "objectType": "Agent",
            },
            {
                "name": "Ena Hills",
                "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
                "objectType": "Agent",
            },
        ],
        "objectType": "Group",
    },
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/attended",
        "display": {"en-GB": "attended", "en-US": "attended"},
    },
    "result": {
        "extensions": {
            "http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes\\examplemeeting.one"
        },
        "success": True,
        "completion": True,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "parent": [
                {"id": "http://www.example.com/meetings/series/267", "objectType": "Activity"}
            ],
            "category": [
                {
                    "id": "http://www.example.com/meetings/categories/teammeeting",
                    "objectType": "Activity",
                    "definition": {
                        "name": {"en": "team meeting"},
                        "description": {
                            "en": "A category of meeting used for regular team meetings."
                        },
                        "type": "http://example.com/expapi/activities/meetingcategory",
                    },
                }
            ],
            "other": [
                {
                    "id": "http://www.example.com/meetings/occurances/34257",
                    "objectType": "Activity",
                },
                {
                    "id": "http://www.example.com/meetings/occurances/3425567",
                    "objectType": "Activity",
                },
            ],
        },
        "instructor": {
            "name": "Andrew Downes",
            "account": {"homePage": "http://www.example.com", "name": "13936749"},
            "objectType": "Agent",
        },
        "team": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group"},
        "platform": "Example virtual meeting software",
        "language": "tlh",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
    },
    "timestamp": "2013-05-18T05:32:34.804+00:00",
    "stored": "2013-05-18T05:32:34.804+00:00",
    "authority": {
        "account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"},
        "objectType": "Agent",
    },
    "version": "1.0.0",
    "object": {
        "id": "http://www.example.com/meetings/occurances/34534",
        "definition": {
            "extensions": {
                "http://example.com/profiles/meetings/activitydefinitionextensions/room": {
                    "name": "Kilby",
                    "id": "http://example.com/rooms/342",
                }
            },
            "name": {"en-GB": "example meeting", "en-US": "example meeting"},
            "description": {
                "en-GB": "An example meeting that happened on a specific occasion with certain people present.",
                "en-US": "An example meeting that happened on a specific occasion with certain people present.",
            },
            "type": "http://adlnet.gov/expapi/activities/meeting",
            "moreInfo": "http://virtualmeeting.example.com/345256",
        },
        "objectType": "Activity",
    },
}

APPENDIX_D_SIGNED = {
    "version": "1.0.0",
    "id": "33cff416-e331-4c9d-969e-5373a1756120",
    "actor": {
        "mbox": "mailto:example@example.com",
        "name": "Example Learner",
        "objectType": "Agent",
    },
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/experienced",
        "display": {"en-US": "experienced"},
    },
    "object": {
        "id": "https://www.youtube.com/watch?v=xh4kIiH3Sm8",
        "objectType": "Activity",
        "definition": {
            "name": {"en-US": "Tax Tips & Information : How to File a Tax Return "},
            "description": {
                "en-US": "Filing a tax return will require filling out either a 1040, 1040A or 1040EZ form"
            },
        },
    },
    "timestamp": "2013-04-01T12:00:00Z",
    "attachments": [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "description": {"en-US": "A test signature"},
            "contentType": "application/octet-stream",
            "length": 4235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
        }
    ],
}

CMI = "http://adlnet.gov/expapi/activities/cmi.interaction"
APPENDIX_C = {
    "true-false": {
        "description": {"en-US": "Does the xAPI include the concept of statements?"},
        "type": CMI,
        "interactionType": "true-false",
        "correctResponsesPattern": ["true"],
    },
    "choice": {
        "description": {"en-US": "Which of these prototypes are available at the beta site?"},
        "type": CMI,
        "interactionType": "choice",
        "correctResponsesPattern": ["golf[,]tetris"],
        "choices": [
            {"id": "golf", "description": {"en-US": "Golf Example"}},
            {"id": "facebook", "description": {"en-US": "Facebook App"}},
            {"id": "tetris", "description": {"en-US": "Tetris Example"}},
            {"id": "scrabble", "description": {"en-US": "Scrabble Example"}},
        ],
    },
    "fill-in": {
        "description": {"en-US": "Ben is often heard saying: "},
        "type": CMI,
        "interactionType": "fill-in",
        "correctResponsesPattern": ["Bob's your uncle"],
    },
    "long-fill-in": {
        "description": {"en-US": "What is the purpose of the xAPI?"},
        "type": CMI,
        "interactionType": "long-fill-in",
        "correctResponsesPattern": [
            "{case_matters=false}{lang=en}To store and provide access to learning experiences."
        ],
    },
    "likert": {
        "description": {"en-US": "How awesome is Experience API?"},
        "type": CMI,
        "interactionType": "likert",
        "correctResponsesPattern": ["likert_3"],
        "scale": [
            {"id": "likert_0", "description": {"en-US": "It's OK"}},
            {"id": "likert_1", "description": {"en-US": "It's Pretty Cool"}},
            {"id": "likert_2", "description": {"en-US": "It's Damn Cool"}},
            {"id": "likert_3", "description": {"en-US": "It's Gonna Change the World"}},
        ],
    },
    "matching": {
        "description": {"en-US": "Match these people to their kickball team:"},
        "type": CMI,
        "interactionType": "matching",
        "correctResponsesPattern": ["ben[.]3[,]chris[.]2[,]troy[.]4[,]freddie[.]1"],
        "source": [
            {"id": "ben", "description": {"en-US": "Ben"}},
            {"id": "chris", "description": {"en-US": "Chris"}},
            {"id": "troy", "description": {"en-US": "Troy"}},
            {"id": "freddie", "description": {"en-US": "Freddie"}},
        ],
        "target": [
            {"id": "1", "description": {"en-US": "Swift Kick in the Grass"}},
            {"id": "2", "description": {"en-US": "We got Runs"}},
            {"id": "3", "description": {"en-US": "Duck"}},
            {"id": "4", "description": {"en-US": "Van Delay Industries"}},
        ],
    },
    "performance": {
        "description": {"en-US": "This interaction measures performance over a day of RS sports:"},
        "type": CMI,
        "interactionType": "performance",
        "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10[,]lunch[.]"],
        "steps": [
            {"id": "pong", "description": {"en-US": "Net pong matches won"}},
            {"id": "dg", "description": {"en-US": "Strokes over par in disc golf at Liberty"}},
            {"id": "lunch", "description": {"en-US": "Lunch having been eaten"}},
        ],
    },
    "sequencing": {
        "description": {"en-US": "Order players by their pong ladder position:"},
        "type": CMI,
        "interactionType": "sequencing",
        "correctResponsesPattern": ["tim[,]mike[,]ells[,]ben"],
        "choices": [
            {"id": "tim", "description": {"en-US": "Tim"}},
            {"id": "ben", "description": {"en-US": "Ben"}},
            {"id": "ells", "description": {"en-US": "Ells"}},
            {"id": "mike", "description": {"en-US": "Mike"}},
        ],
    },
    "numeric": {
        "description": {"en-US": "How many jokes is Chris the butt of each day?"},
        "type": CMI,
        "interactionType": "numeric",
        "correctResponsesPattern": ["4[:]"],
    },
    "other": {
        "description": {"en-US": "On this map, please mark Franklin, TN"},
        "type": CMI,
        "interactionType": "other",
        "correctResponsesPattern": ["(35.937432,-86.868896)"],
    },
}

SPEC_EXAMPLES = [
    Case("Data 2.4.s2 simplest statement", "Data 2.4.s2", SIMPLEST),
    Case(
        "Data 2.3.2.s3 voiding statement",
        "Data 2.3.2.s3",
        {
            "actor": {
                "objectType": "Agent",
                "name": "Example Admin",
                "mbox": "mailto:admin@example.adlnet.gov",
            },
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
        },
    ),
    Case(
        "Data 2.4.4.3.s5 StatementRef object",
        "Data 2.4.4.3.s5",
        {
            "actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
            "verb": {"id": "http://example.com/commented", "display": {"en-US": "commented"}},
            "object": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
            "result": {"response": "Wow, nice work!"},
        },
    ),
    Case(
        "Data 2.4.4.3.s9 SubStatement",
        "Data 2.4.4.3.s9",
        sub(
            object={
                "objectType": "Activity",
                "id": "http://example.com/website",
                "definition": {"name": {"en-US": "Some Awesome Website"}},
            }
        ),
    ),
    Case(
        "Data B.s3 identified Group object with members",
        "Data Appendix B.s3",
        obj(
            name="Example Group",
            account={"homePage": "http://example.com/homePage", "name": "GroupAccount"},
            objectType="Group",
            member=[
                {
                    "name": "Andrew Downes",
                    "mbox": "mailto:andrew@example.com",
                    "objectType": "Agent",
                },
                {
                    "name": "Aaron Silvers",
                    "openid": "http://aaron.openid.example.org",
                    "objectType": "Agent",
                },
            ],
        ),
    ),
    Case(
        "Data B.s2 Agent object",
        "Data Appendix B.s2, 2.4.4.2.s1.b1",
        obj(name="Andrew Downes", mbox="mailto:andrew@example.co.uk", objectType="Agent"),
    ),
    Case(
        "Data B.s4 SubStatement with StatementRef object",
        "Data Appendix B.s4",
        sub(
            verb={"id": "http://example.com/confirmed", "display": {"en": "confirmed"}},
            object={"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"},
        ),
    ),
    Case("Data Appendix A long statement", "Data Appendix A", APPENDIX_A_LONG),
    Case(
        "Data Appendix A duration in seconds",
        "Data Appendix A",
        {
            "id": "7ccd3322-e1a5-411a-a67d-6a735c76f119",
            "timestamp": "2015-12-18T12:17:00+00:00",
            "actor": {
                "objectType": "Agent",
                "name": "Example Learner",
                "mbox": "mailto:example.learner@adlnet.gov",
            },
            "verb": {
                "id": "http://adlnet.gov/expapi/verbs/attempted",
                "display": {"en-US": "attempted"},
            },
            "object": {
                "id": "http://example.adlnet.gov/xapi/example/simpleCBT",
                "definition": {
                    "name": {"en-US": "simple CBT course"},
                    "description": {"en-US": "A fictitious example CBT course."},
                },
            },
            "result": {
                "score": {"scaled": 0.95},
                "success": True,
                "completion": True,
                "duration": "PT1234S",
            },
        },
    ),
    Case("Data Appendix D signed statement", "Data Appendix D, 2.6", APPENDIX_D_SIGNED),
    Case(
        "Comm 1.5.2.s6 attachment with media type parameters",
        "Comm 1.5.2.s6",
        attachment(
            contentType="text/plain; charset=ascii",
            description={"en-US": "A test attachment (description)"},
        ),
    ),
    Case(
        "Data 2.4.9.s8 OAuth authority group",
        "Data 2.4.9.s8",
        stmt(
            authority={
                "objectType": "Group",
                "member": [
                    {
                        "account": {
                            "homePage": "http://example.com/xAPI/OAuth/Token",
                            "name": "oauth_consumer_x75db",
                        }
                    },
                    {"mbox": "mailto:bob@example.com"},
                ],
            }
        ),
    ),
    Case(
        "Data 2.4.3.1 non-ASCII verb IRI",
        "Data 2.4.3.1.s1, 4.3",
        stmt(verb={"id": "http://example.com/فعل/خواندن"}),
    ),
    Case(
        "Data 2.4.3.s8 verb with es display",
        "Data 2.4.3.s8",
        stmt(
            verb={
                "id": "http://example.com/xapi/verbs#defenestrated",
                "display": {"en-US": "defenestrated", "es": "defenestrado"},
            }
        ),
    ),
    Case(
        "Data 2.4.6.2.s5 contextActivities example",
        "Data 2.4.6.2.s5",
        context(
            contextActivities={
                "parent": [{"id": "http://example.adlnet.gov/xapi/example/test1"}],
                "grouping": [{"id": "http://example.adlnet.gov/xapi/example/Algebra1"}],
            }
        ),
    ),
    *[
        Case(f"Data Appendix C {itype}", "Data Appendix C", definition(**d))
        for itype, d in APPENDIX_C.items()
    ],
]

# ---------------------------------------------------------------------------------------
# Odd but valid
# ---------------------------------------------------------------------------------------

ACCEPTED = [
    # extensions
    Case(
        "null extension values everywhere",
        "Data 2.2.s4.b1.b1 (except inside extensions), 4.1.s3.b2",
        stmt(
            object={
                "id": "http://example.com/a",
                "definition": {"extensions": {"http://example.com/e": None}},
            },
            result={"extensions": {"http://example.com/e": None}},
            context={
                "extensions": {
                    "http://example.com/e": None,
                    "urn:example:other": [None, {"x": None}],
                }
            },
        ),
    ),
    Case(
        "empty extension maps",
        "Data 4.1.s2 (a map; nothing requires entries)",
        stmt(
            object={"id": "http://example.com/a", "definition": {"extensions": {}}},
            result={"extensions": {}},
            context={"extensions": {}},
        ),
    ),
    Case(
        "extension values that look like broken statement parts",
        "Data 4.1.s3.b2",
        result(
            extensions={
                "http://example.com/e": {
                    "Actor": None,
                    "objectType": "bogus",
                    "mbox": "nope",
                    "timestamp": "yesterday",
                    "": [{}],
                }
            }
        ),
    ),
    Case(
        "extension key is a URN",
        "Data 4.1.s3.b1 (keys are IRIs)",
        context(extensions={"urn:x-example:ext:1": 1}),
    ),
    # context activities
    Case(
        "single context activity object instead of an array",
        "Data 2.4.6.2.s4.b2",
        context(
            contextActivities={
                "parent": {"id": "http://example.com/course"},
                "grouping": {"id": "http://example.com/program", "objectType": "Activity"},
            }
        ),
    ),
    Case(
        "all four context activity keys",
        "Data 2.4.6.2.s3",
        context(
            contextActivities={
                "parent": [AN_ACTIVITY],
                "grouping": [AN_ACTIVITY],
                "category": [AN_ACTIVITY],
                "other": [AN_ACTIVITY, {"id": "http://example.com/activities/2"}],
            }
        ),
    ),
    # SubStatements
    Case(
        "SubStatement with result, context and a future timestamp",
        "Data 2.4.7.s3.b5, 2.4.4.3.s8",
        sub(
            result={"score": {"scaled": 1}, "completion": True, "duration": "PT2H"},
            context={
                "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                "revision": "2",
                "platform": "web",
                "language": "en",
            },
            timestamp="2099-12-31T23:59:59.999Z",
        ),
    ),
    Case(
        "SubStatement with attachments",
        "Data 2.4.11.s2 (note on SubStatements), 2.4.4.3.s8.b2",
        sub(
            attachments=[
                {
                    "usageType": "http://example.com/u",
                    "display": {"en": "x"},
                    "contentType": "image/png",
                    "length": 0,
                    "sha2": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                }
            ]
        ),
    ),
    Case(
        "SubStatement whose object is an Agent",
        "Data 2.4.4.3.s8.b2, 2.4.4.2",
        sub(object={"objectType": "Agent", "mbox": "mailto:x@example.com"}),
    ),
    Case(
        "future timestamp on a Statement",
        "Data 2.4.7.s3.b6 (SHOULD* NOT reject)",
        stmt(timestamp="2999-01-01T00:00:00Z"),
    ),
    # agents and groups
    Case(
        'member Agent with objectType "Agent"',
        "Data 2.4.2.2.s2 (Array of Agent Objects), 2.4.2.1.s2 table",
        actor(
            objectType="Group",
            member=[
                {"objectType": "Agent", "mbox": "mailto:a@example.com"},
                {"mbox": "mailto:b@example.com"},
            ],
        ),
    ),
    Case(
        "mbox with an upper-case domain",
        "Data 2.3.1.b7, 2.4.2.3.s4.b1 (domain is case-insensitive)",
        actor(mbox="mailto:Someone@EXAMPLE.COM"),
    ),
    Case(
        "mbox_sha1sum from the spec",
        "Data Appendix A",
        actor(mbox_sha1sum="ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
    ),
    Case(
        "openid from the spec", "Data Appendix A", actor(openid="http://toby.openid.example.org/")
    ),
    Case(
        "account homePage that is a URN",
        "Data 2.2.s4.b1.b8, 2.2.s4.b6, About (IRL); decision in module docstring",
        actor(account={"homePage": "urn:example:lms", "name": "1625378"}),
    ),
    Case(
        "account from Data 2.4.2.4.s3",
        "Data 2.4.2.4.s3",
        actor(
            objectType="Agent", account={"homePage": "http://www.example.com", "name": "1625378"}
        ),
    ),
    Case(
        "identified Group without member",
        "Data 2.4.2.2.s5.b4 (MAY include member)",
        actor(objectType="Group", mbox="mailto:team@example.com"),
    ),
    Case(
        "anonymous Group as the object",
        "Data 2.4.4.s2, 2.4.4.2",
        obj(objectType="Group", member=[ANNA]),
    ),
    Case(
        "instructor that is a Group",
        "Data 2.4.6.s3 (Agent, MAY be a Group)",
        context(instructor={"objectType": "Group", "member": [ANNA]}),
    ),
    Case(
        "authority that is an Agent",
        "Data 2.4.9.s3.b1",
        stmt(
            authority={
                "objectType": "Agent",
                "account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"},
            }
        ),
    ),
    # verb / activity
    Case(
        "verb without display",
        "Data 2.4.3.s3 (display Recommended)",
        stmt(verb={"id": "http://example.com/verbs/did"}),
    ),
    Case(
        'activity with objectType "Activity"',
        "Data 2.4.4.1.s1",
        obj(objectType="Activity", id="http://example.com/a"),
    ),
    Case(
        "activity id that is a URN",
        "Data 4.3",
        obj(id="urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
    ),
    Case(
        "empty correctResponsesPattern",
        "Data 2.4.4.1.s11 (no correct answer)",
        definition(interactionType="choice", correctResponsesPattern=[]),
    ),
    Case(
        "choice without a choices list",
        "Data 2.4.4.1.s8 (component lists Optional)",
        definition(interactionType="choice", correctResponsesPattern=["a"]),
    ),
    Case(
        "same id in source and target",
        "Data 2.4.4.1.s16.b1 (distinct within an array)",
        definition(
            interactionType="matching",
            source=[{"id": "1"}, {"id": "2"}],
            target=[{"id": "1"}, {"id": "2"}],
        ),
    ),
    Case(
        "components without description",
        "Data 2.4.4.1.s15 (description Optional)",
        definition(interactionType="likert", scale=[{"id": "likert_0"}, {"id": "likert_1"}]),
    ),
    Case(
        "characterstring parameters are not validated",
        "Data 2.4.4.1.s12",
        definition(
            interactionType="fill-in",
            correctResponsesPattern=["{case_matters=maybe}{lang=zz}anything"],
        ),
    ),
    Case(
        "interaction without the cmi.interaction type",
        "Data 2.4.4.1.s13.b2 (SHOULD)",
        definition(interactionType="other"),
    ),
    # result
    Case(
        "score boundaries: scaled -1, raw == min",
        "Data 2.4.5.1.s2 (inclusive)",
        score(scaled=-1, raw=0, min=0, max=10),
    ),
    Case(
        "score boundaries: scaled 1, raw == max",
        "Data 2.4.5.1.s2 (inclusive)",
        score(scaled=1, raw=10, min=0, max=10),
    ),
    Case(
        "score: negative and fractional min/max/raw",
        "Data 2.4.5.1.s2",
        score(raw=-2.5, min=-10.5, max=-0.25),
    ),
    Case(
        "score: raw alone is unrestricted",
        "Data 2.4.5.1.s2 (if present, otherwise unrestricted)",
        score(raw=123456789),
    ),
    Case("score: only min and raw", "Data 2.4.5.1.s2", score(raw=1000, min=0)),
    Case("score: only max and raw", "Data 2.4.5.1.s2", score(raw=-1000, max=0)),
    Case("score: scaled as a float", "Data 2.4.5.1.s2", score(scaled=0.95)),
    Case("empty response string", "Data 2.4.5.s2 (String)", result(response="")),
    *[
        Case(f"duration {d}", "Data 4.6 / policy", result(duration=d))
        for d in (
            "PT1H0M0S",
            "P3Y1M29DT4H35M59.14S",
            "P4W",
            "PT0.5S",
            "PT1234S",
            "P3Y",
            "PT4H35M59.14S",
            "P1D",
            "PT0S",
            "P1Y2M",
        )
    ],
    # timestamps
    *[
        Case(f"timestamp {t}", "Data 4.5 / RFC 3339 / policy", stmt(timestamp=t))
        for t in (
            "2015-11-18T12:17:00+00:00",
            "2013-05-18T05:32:34.804+00:00",
            "2013-04-01T12:00:00Z",
            "2013-04-01T12:00:00.1Z",
            "2013-04-01T12:00:00.123456789Z",
            "2013-04-01T17:30:00+05:30",
            "2013-04-01T04:00:00-08:00",
            "2016-02-29T00:00:00Z",
        )
    ],
    Case("stored with an offset", "Data 2.4.8", stmt(stored="2013-05-18T05:32:34.804+02:00")),
    # identifiers
    Case(
        "upper-case UUID",
        "Data 4.4 (standard string form) / policy",
        stmt(id="FD41C918-B88B-4B20-A0A5-A4C32391AAA0"),
    ),
    Case(
        "version 1 UUID registration",
        "Data 2.4.1.s1 (all versions of variant 2)",
        context(registration="c232ab00-9414-11ec-b3c8-9f6bdeced846"),
    ),
    *[
        Case(
            f"language tag {tag}",
            "Data 4.2 / RFC 5646",
            stmt(verb={"id": "http://example.com/v", "display": {tag: "x"}}),
        )
        for tag in (
            "en",
            "en-US",
            "en-GB",
            "es-419",
            "zh-Hant-TW",
            "und",
            "de-CH",
            "tlh",
            "en-us",
            "sr-Latn-RS",
        )
    ],
    Case("context.language", "Data 2.4.6.s3", context(language="fr-CA")),
    # context
    Case(
        "revision and platform with an Activity object",
        "Data 2.4.6.s4.b1-b2",
        context(revision="1.2", platform="Example LMS"),
    ),
    Case("context statement reference", "Data 2.4.6.s3", context(statement=A_REF)),
    # attachments
    Case(
        "attachment with fileUrl and zero length",
        "Data 2.4.11.s2, Comm 1.5.1.s1.b2",
        attachment(fileUrl="https://example.com/files/1.txt", length=0),
    ),
    Case(
        "attachment with a SHA-512 sha2",
        "Comm 1.5.2.s4.b4",
        attachment(
            sha2="cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        ),
    ),
    # versions
    *[
        Case(f"version {v}", "Data 2.4.10.s3.b1", stmt(version=v))
        for v in ("1.0", "1.0.0", "1.0.3", "1.0.99")
    ],
    Case("version 1.0 in a 2.0 request", "Data 2.4.10 (version header form)", stmt(version="1.0"), V2),
    Case("version 2.0.0 in a 2.0 request", "9274 (2.0.x statements)", stmt(version="2.0.0"), V2),
    Case("1.0.0 statement in a 2.0 request", "Data 2.4.10 / policy", stmt(version="1.0.0"), V2),
    # xAPI 2.0 context agents / groups
    Case(
        "contextAgents and contextGroups in 2.0",
        "9274 context",
        context(
            contextAgents=[
                A_CONTEXT_AGENT,
                {
                    "objectType": "contextAgent",
                    "agent": {"objectType": "Agent", "openid": "http://a.example.org/"},
                    "relevantTypes": ["https://example.com/types/peer"],
                },
            ],
            contextGroups=[
                A_CONTEXT_GROUP,
                {
                    "objectType": "contextGroup",
                    "group": {"objectType": "Group", "mbox": "mailto:g@example.com"},
                    "relevantTypes": ["https://example.com/types/cohort", "urn:example:t"],
                },
            ],
        ),
        V2,
    ),
    # more edges
    Case(
        "IRI with an IPv6 host", "Data 4.3 / RFC 3987", obj(id="http://[2001:db8::1]/activities/1")
    ),
    Case(
        "IRI with percent-encoding, query and fragment",
        "Data 4.3, 3.1.s1.b6",
        obj(id="https://example.com/a%20b?x=1&y=2#part"),
    ),
    Case(
        "non-ASCII extension key",
        "Data 4.1.s3.b1, 4.3",
        result(extensions={"http://example.com/übung/schlüssel": True}),
    ),
    *[
        Case(f"language tag {tag}", "Data 4.2 / RFC 5646", definition(name={tag: "x"}))
        for tag in ("de-DE-1996", "en-Latn-US", "zh-Hans-CN")
    ],
    Case(
        "component ids differing only in case",
        "Data 2.2.s3.b4 (values are case-sensitive), 2.4.4.1.s16.b1",
        definition(interactionType="choice", choices=[{"id": "a"}, {"id": "A"}]),
    ),
    Case(
        "component id with whitespace",
        "Data 2.4.4.1.s16.b2 (SHOULD NOT, not MUST NOT)",
        definition(
            interactionType="sequencing", choices=[{"id": "first item"}, {"id": "second item"}]
        ),
    ),
    Case(
        "mbox with plus and sub-domains",
        "Data 2.4.2.3.s3",
        actor(mbox="mailto:first.last+xapi@mail.example.co.uk"),
    ),
    Case("very large attachment length", "Data 2.4.11.s2 (Integer)", attachment(length=10**12)),
    Case("scaled -0.0", "Data 2.4.5.1.s2", score(scaled=-0.0)),
    Case(
        "timestamp at the +14:00 and -12:00 extremes",
        "Data 4.5 / RFC 3339",
        stmt(timestamp="2013-04-01T12:00:00+14:00", stored="2013-04-01T12:00:00-12:00"),
    ),
    Case(
        "SubStatement actor that is an anonymous Group",
        "Data 2.4.4.3.s8.b2, 2.4.2.2",
        sub(actor={"objectType": "Group", "member": [ANNA, {"openid": "http://x.example.org/"}]}),
    ),
    Case(
        "voiding statement with context and result",
        "Data 2.3.2 (only the object is constrained)",
        stmt(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object=A_REF,
            result={"response": "mistake"},
            context={"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
        ),
    ),
]

# ---------------------------------------------------------------------------------------
# Rejected
# ---------------------------------------------------------------------------------------

REJECTED = [
    # structure
    Case(
        "statement is an array",
        "Comm 3.2.s2.b1 (invalid Object structures)",
        [SIMPLEST],
        path=("",),
    ),
    Case("statement is a string", "Comm 3.2.s2.b1", "statement", path=("",)),
    Case("statement is null", "Data 2.2.s4.b1.b1", None, path=("",)),
    *[
        Case(f"missing {k}", "Data 2.2.s2.b3", stmt(**{k: None}), path=(k, ""))
        for k in ("actor", "verb", "object")
    ],
    Case(
        'key "Actor"',
        "Data 2.2.s4.b1.b5",
        {**stmt(actor=None), "Actor": SIMPLEST["actor"]},
        path=("Actor", "actor", ""),
    ),
    Case(
        'key "Verb" next to "verb"',
        "Data 2.2.s4.b1.b5",
        {**SIMPLEST, "Verb": SIMPLEST["verb"]},
        path=("Verb", ""),
    ),
    Case(
        "unknown top-level property",
        "Data 2.2.s4.b8, 2.2.s4.b1.b7",
        stmt(foo="bar"),
        path=("foo", ""),
    ),
    Case(
        "unknown agent property",
        "Data 2.2.s4.b1.b7",
        actor(mbox="mailto:a@example.com", age=3),
        path=("actor",),
    ),
    Case(
        "unknown result property",
        "Data 2.2.s4.b1.b7",
        result(completion=True, grade="A"),
        path=("result",),
    ),
    Case('key "MBOX"', "Data 2.2.s4.b1.b5", actor(MBOX="mailto:a@example.com"), path=("actor",)),
    Case(
        'contextActivities key "Parent"',
        "Data 2.2.s4.b1.b5, 2.4.6.2.s4.b1",
        context(contextActivities={"Parent": [AN_ACTIVITY]}),
        path=("context.contextActivities",),
    ),
    Case(
        'contextActivities key "parents"',
        "Data 2.4.6.2.s4.b1",
        context(contextActivities={"parents": [AN_ACTIVITY]}),
        path=("context.contextActivities",),
    ),
    # nulls
    Case(
        "null agent name",
        "Data 2.2.s4.b1.b1",
        actor(mbox="mailto:a@example.com", name=None),
        path=("actor.name",),
    ),
    Case(
        "null verb display",
        "Data 2.2.s4.b1.b1",
        stmt(verb={"id": "http://example.com/v", "display": None}),
        path=("verb.display",),
    ),
    Case(
        "null language map value",
        "Data 2.2.s4.b1.b1",
        stmt(verb={"id": "http://example.com/v", "display": {"en": None}}),
        path=("verb.display",),
    ),
    Case(
        "null extensions map",
        "Data 2.2.s4.b1.b1 (the map itself is not inside extensions)",
        result(extensions=None),
        path=("result.extensions",),
    ),
    Case(
        "null timestamp", "Data 2.2.s4.b1.b1", {**SIMPLEST, "timestamp": None}, path=("timestamp",)
    ),
    Case(
        "null member item",
        "Data 2.2.s4.b1.b1",
        actor(objectType="Group", member=[None]),
        path=("actor.member",),
    ),
    # types
    Case('raw "5"', "Data 2.2.s4.b1.b2", score(raw="5"), path=("result.score.raw",)),
    Case('scaled "0.5"', "Data 2.2.s4.b1.b2", score(scaled="0.5"), path=("result.score.scaled",)),
    Case(
        "scaled true",
        "Data 2.4.5.1.s2 (Decimal number)",
        score(scaled=True),
        path=("result.score.scaled",),
    ),
    Case('success "true"', "Data 2.2.s4.b1.b3", result(success="true"), path=("result.success",)),
    Case(
        "completion 1", "Data 2.4.5.s2 (Boolean)", result(completion=1), path=("result.completion",)
    ),
    Case("response 42", "Data 2.4.5.s2 (String)", result(response=42), path=("result.response",)),
    Case(
        "display as a string",
        "Data 2.4.3.s3 (Language Map)",
        stmt(verb={"id": "http://example.com/v", "display": "did"}),
        path=("verb.display",),
    ),
    Case(
        "language map value is a number",
        "Data 4.2.s1",
        stmt(verb={"id": "http://example.com/v", "display": {"en": 1}}),
        path=("verb.display",),
    ),
    Case(
        "member is an object, not an array",
        "Data 2.4.2.2.s2 (Array)",
        actor(objectType="Group", member=ANNA),
        path=("actor",),
    ),
    Case(
        "correctResponsesPattern is a string",
        "Data 2.4.4.1.s8 (Array of Strings)",
        definition(interactionType="true-false", correctResponsesPattern="true"),
        path=("object.definition",),
    ),
    Case(
        "correctResponsesPattern item is a number",
        "Data 2.4.4.1.s8",
        definition(interactionType="numeric", correctResponsesPattern=[4]),
        path=("object.definition.correctResponsesPattern",),
    ),
    Case(
        "extensions is an array",
        "Data 4.1.s2 (a map)",
        result(extensions=["http://example.com/e"]),
        path=("result.extensions",),
    ),
    Case(
        "attachments is an object",
        "Data 2.4.s1 table (Ordered array)",
        stmt(attachments=attachment()["attachments"][0]),
        path=("attachments",),
    ),
    # identifiers of agents
    Case(
        "mbox without mailto:",
        "Data 2.2.s4.b1.b4, 2.4.2.3.s3",
        actor(mbox="xapi@adlnet.gov"),
        path=("actor.mbox",),
    ),
    Case("mbox without an address", "Data 2.4.2.3.s3", actor(mbox="mailto:"), path=("actor.mbox",)),
    Case(
        "mbox without a domain",
        "Data 2.4.2.3.s3",
        actor(mbox="mailto:someone"),
        path=("actor.mbox",),
    ),
    Case(
        "empty mbox",
        "Data 2.2.s4.b1.b4 (including the empty string)",
        actor(mbox=""),
        path=("actor.mbox",),
    ),
    Case(
        "mbox_sha1sum of 39 digits",
        "Data 2.4.2.3.s3",
        actor(mbox_sha1sum="ebd31e95054c018b10727ccffd2ef2ec3a016ee"),
        path=("actor.mbox_sha1sum",),
    ),
    Case(
        "mbox_sha1sum not hex",
        "Data 2.4.2.3.s3",
        actor(mbox_sha1sum="xbd31e95054c018b10727ccffd2ef2ec3a016ee9"),
        path=("actor.mbox_sha1sum",),
    ),
    Case(
        "openid without a scheme",
        "Data 2.2.s4.b1.b8, 2.4.2.3.s3 (URI)",
        actor(openid="toby.openid.example.org/"),
        path=("actor.openid",),
    ),
    Case(
        "two IFIs",
        "Data 2.4.2.1.s2.b2",
        actor(mbox="mailto:a@example.com", openid="http://a.example.org/"),
        path=("actor",),
    ),
    Case("no IFI", "Data 2.4.2.1.s2.b1", actor(name="Nobody"), path=("actor",)),
    Case(
        "Agent object without IFI",
        "Data 2.4.2.1.s2.b1",
        obj(objectType="Agent", name="Nobody"),
        path=("object",),
    ),
    Case(
        "identified Group with two IFIs",
        "Data 2.4.2.2.s5.b1",
        actor(
            objectType="Group",
            mbox="mailto:g@example.com",
            mbox_sha1sum="ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        ),
        path=("actor",),
    ),
    Case(
        "account without name",
        "Data 2.4.2.4.s2 (Required)",
        actor(account={"homePage": "http://www.example.com"}),
        path=("actor.account",),
    ),
    Case(
        "account without homePage",
        "Data 2.4.2.4.s2 (Required)",
        actor(account={"name": "x"}),
        path=("actor.account",),
    ),
    Case(
        "account with an empty name",
        "policy (non-empty)",
        actor(account={"homePage": "http://www.example.com", "name": ""}),
        path=("actor.account",),
    ),
    Case(
        "account with an extra key",
        "Data 2.2.s4.b1.b7",
        actor(
            account={
                "homePage": "http://www.example.com",
                "name": "x",
                "mbox": "mailto:a@example.com",
            }
        ),
        path=("actor.account",),
    ),
    Case(
        "account homePage without a scheme",
        "Data 2.2.s4.b1.b8",
        actor(account={"homePage": "www.example.com", "name": "x"}),
        path=("actor.account.homePage",),
    ),
    # groups
    Case(
        "anonymous Group without member",
        "Data 2.4.2.2.s4.b1",
        actor(objectType="Group", name="nobody"),
        path=("actor",),
    ),
    Case(
        "anonymous Group with empty member",
        "Data 2.4.2.2.s4.b1 / policy",
        actor(objectType="Group", member=[]),
        path=("actor",),
    ),
    Case(
        "Group member that is a Group",
        "Data 2.4.2.2.s4.b2",
        actor(objectType="Group", member=[{"objectType": "Group", "member": [ANNA]}]),
        path=("actor",),
    ),
    Case(
        'identified Group member with objectType "Group"',
        "Data 2.4.2.2.s5.b2",
        actor(
            objectType="Group",
            mbox="mailto:g@example.com",
            member=[{"objectType": "Group", "mbox": "mailto:h@example.com"}],
        ),
        path=("actor",),
    ),
    Case(
        "Group without objectType",
        "Data 2.4.2.2.s2 (objectType Required)",
        actor(mbox="mailto:g@example.com", member=[ANNA]),
        path=("actor",),
    ),
    Case(
        "Agent object without objectType",
        "Data 2.4.4.2.s1.b1",
        obj(mbox="mailto:jeff@example.com"),
        path=("object",),
    ),
    Case(
        "authority Group of three Agents",
        "Data 2.4.9.s3.b1",
        stmt(
            authority={
                "objectType": "Group",
                "member": [
                    ANNA,
                    {"mbox": "mailto:b@example.com"},
                    {"mbox": "mailto:c@example.com"},
                ],
            }
        ),
        path=("authority",),
    ),
    Case(
        "authority Group of one Agent",
        "Data 2.4.9.s3.b1",
        stmt(authority={"objectType": "Group", "member": [ANNA]}),
        path=("authority",),
    ),
    # enumerations
    *[
        Case(
            f'objectType "{ot}"',
            "Data 2.2.s4.b1.b6",
            obj(objectType=ot, id="http://example.com/a"),
            path=("object",),
        )
        for ot in ("activity", "ACTIVITY", "Activities", "Statement")
    ],
    Case(
        'actor objectType "agent"',
        "Data 2.2.s4.b1.b6",
        actor(objectType="agent", mbox="mailto:a@example.com"),
        path=("actor",),
    ),
    Case(
        'objectType "statementref"',
        "Data 2.2.s4.b1.b6",
        obj(objectType="statementref", id="8f87ccde-bb56-4c2e-ab83-44982ef22df0"),
        path=("object",),
    ),
    Case(
        'objectType "Substatement"',
        "Data 2.2.s4.b1.b6",
        {**sub(), "object": {**sub()["object"], "objectType": "Substatement"}},
        path=("object",),
    ),
    *[
        Case(
            f'interactionType "{it}"',
            "Data 2.2.s4.b1.b6, 2.4.4.1.s13.b1",
            definition(interactionType=it),
            path=("object.definition",),
        )
        for it in ("Choice", "TRUE-FALSE", "true_false", "multiple-choice", "")
    ],
    # IRIs and IRLs
    Case(
        "verb id without a scheme",
        "Data 2.2.s4.b1.b8",
        stmt(verb={"id": "created"}),
        path=("verb.id",),
    ),
    Case("empty verb id", "Data 2.2.s4.b1.b4", stmt(verb={"id": ""}), path=("verb.id",)),
    Case(
        "activity id without a scheme",
        "Data 2.2.s4.b1.b8",
        obj(id="example.com/activity"),
        path=("object.id",),
    ),
    Case(
        "activity id with a space",
        "Data 4.3 / RFC 3987",
        obj(id="http://example.com/an activity"),
        path=("object.id",),
    ),
    Case(
        "relative activity id",
        "Data 2.4.4.1.s2 note (IRI fragments are not valid IRIs)",
        obj(id="#fragment"),
        path=("object.id",),
    ),
    Case(
        "definition type without a scheme",
        "Data 2.2.s4.b1.b8",
        definition(type="meeting"),
        path=("object.definition.type",),
    ),
    Case(
        "moreInfo without a scheme",
        "Data 2.2.s4.b1.b8",
        definition(moreInfo="virtualmeeting.example.com/345256"),
        path=("object.definition.moreInfo",),
    ),
    Case(
        "extension key without a scheme",
        "Data 4.1.s3.b1",
        result(extensions={"minuteslocation": 1}),
        path=("result.extensions",),
    ),
    Case(
        "empty extension key",
        "Data 4.1.s3.b1, 2.2.s4.b1.b4",
        context(extensions={"": 1}),
        path=("context.extensions",),
    ),
    Case(
        "usageType without a scheme",
        "Data 2.2.s4.b1.b8",
        attachment(usageType="signature"),
        path=("attachments[0]",),
    ),
    Case(
        "fileUrl without a scheme",
        "Data 2.2.s4.b1.b8",
        attachment(fileUrl="files/1.txt"),
        path=("attachments[0]",),
    ),
    # language tags
    *[
        Case(
            f"language tag {tag!r}",
            "Data 2.2.s4.b2, 4.2 / policy",
            stmt(verb={"id": "http://example.com/v", "display": {tag: "x"}}),
            path=("verb.display",),
        )
        for tag in ("en_US", "", "e", "xx-YY", "en-", "en--US", "123")
    ],
    Case(
        "bad tag in an activity name",
        "Data 4.2",
        definition(name={"english": "x"}),
        path=("object.definition.name",),
    ),
    Case(
        "context.language en_US",
        "Data 2.4.6.s3 (RFC 5646)",
        context(language="en_US"),
        path=("context.language",),
    ),
    # UUIDs
    *[
        Case(
            f"statement id {u!r}",
            "Data 4.4, 2.4.1.s1 (standard string form)",
            stmt(id=u),
            path=("id",),
        )
        for u in (
            "fd41c918b88b4b20a0a5a4c32391aaa0",
            "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
            "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
            "not-a-uuid",
            "",
        )
    ],
    Case(
        "registration not a UUID",
        "Data 2.4.6.s3, 4.4",
        context(registration="attempt-1"),
        path=("context.registration",),
    ),
    Case(
        "StatementRef id not a UUID",
        "Data 2.4.4.3.s4.b2",
        obj(objectType="StatementRef", id="http://example.com/statements/1"),
        path=("object.id",),
    ),
    Case(
        "StatementRef without id",
        "Data 2.4.4.3.s4.b2",
        obj(objectType="StatementRef"),
        path=("object",),
    ),
    Case(
        "StatementRef with a definition",
        "Data 2.4.4.3.s4 table",
        obj(
            objectType="StatementRef",
            id="8f87ccde-bb56-4c2e-ab83-44982ef22df0",
            definition={"name": {"en": "x"}},
        ),
        path=("object",),
    ),
    # timestamps
    *[
        Case(f"timestamp {t!r}", "Data 4.5.s1 / policy", stmt(timestamp=t), path=("timestamp",))
        for t in (
            "2013-05-18T05:32:34",
            "2013-05-18T05:32:34.804",
            "2013-05-18T05:32:34-00:00",
            "2013-05-18",
            "2013-05-18T05:32Z",
            "2013-05-18 05:32:34Z",
            "2013-02-30T00:00:00Z",
            "18/05/2013 05:32",
            "",
        )
    ],
    Case(
        "stored without a zone",
        "Data 2.4.8.s3.b1, 4.5 / policy",
        stmt(stored="2013-05-18T05:32:34.804"),
        path=("stored",),
    ),
    # durations
    *[
        Case(
            f"duration {d!r}",
            "Data 4.6.s1.b1, 4.6.s2 / policy",
            result(duration=d),
            path=("result.duration",),
        )
        for d in ("P4W1D", "1H", "PT", "P", "P0003-06-04T12:30:05", "P1H", "PT1M1H", "")
    ],
    # result
    *[
        Case(
            f"scaled {v}",
            "Data 2.4.5.1.s2 (between -1 and 1)",
            score(scaled=v),
            path=("result.score",),
        )
        for v in (1.5, -1.01, 2, -100)
    ],
    Case("raw above max", "Data 2.4.5.1.s2", score(raw=11, min=0, max=10), path=("result.score",)),
    Case("raw below min", "Data 2.4.5.1.s2", score(raw=-1, min=0, max=10), path=("result.score",)),
    Case(
        "raw above max without min",
        "Data 2.4.5.1.s2",
        score(raw=11, max=10),
        path=("result.score",),
    ),
    Case(
        "raw below min without max", "Data 2.4.5.1.s2", score(raw=-1, min=0), path=("result.score",)
    ),
    Case(
        "min equal to max",
        "Data 2.4.5.1.s2 (min less than max)",
        score(min=5, max=5),
        path=("result.score",),
    ),
    Case("min above max", "Data 2.4.5.1.s2", score(min=10, max=0), path=("result.score",)),
    # objects, voiding, SubStatements
    Case(
        "voided verb with an Activity",
        "Data 2.3.2.s2.b1",
        stmt(verb={"id": "http://adlnet.gov/expapi/verbs/voided"}),
        path=("object", "verb"),
    ),
    Case(
        "voided verb with an Agent",
        "Data 2.3.2.s2.b1",
        stmt(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "Agent", "mbox": "mailto:a@example.com"},
        ),
        path=("object", "verb"),
    ),
    *[
        Case(f"SubStatement with {k}", "Data 2.4.4.3.s8.b3", sub(**{k: v}), path=("object",))
        for k, v in (
            ("id", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
            ("stored", "2013-05-18T05:32:34.804Z"),
            ("version", "1.0.0"),
            ("authority", ANNA),
        )
    ],
    Case(
        "nested SubStatement",
        "Data 2.4.4.3.s8.b4",
        sub(object=sub()["object"]),
        path=("object.object",),
    ),
    Case(
        "SubStatement without objectType",
        "Data 2.4.4.3.s8.b1",
        {**SIMPLEST, "object": {k: v for k, v in sub()["object"].items() if k != "objectType"}},
        path=("object",),
    ),
    Case(
        "activity without id",
        "Data 2.4.4.1.s1 (id Required)",
        obj(definition={"name": {"en": "x"}}),
        path=("object",),
    ),
    # context
    *[
        Case(
            f"{k} with a {kind} object",
            "Data 2.4.6.s4.b1-b2",
            stmt(object=o, context={k: "x"}),
            path=("context",),
        )
        for k in ("revision", "platform")
        for kind, o in (
            ("Agent", {"objectType": "Agent", "mbox": "mailto:a@example.com"}),
            ("StatementRef", A_REF),
            ("SubStatement", sub()["object"]),
        )
    ],
    Case(
        "revision in a SubStatement whose object is a StatementRef",
        "Data 2.4.6.s4.b1, 2.4.4.3.s8.b2",
        sub(object=A_REF, context={"revision": "1"}),
        path=("object.context",),
    ),
    Case(
        "contextActivities value is a string",
        "Data 2.4.6.2.s4.b2",
        context(contextActivities={"parent": "http://example.com/a"}),
        path=("context.contextActivities",),
    ),
    Case(
        "contextActivities value is an Agent",
        "Data 2.4.6.2.s4.b2",
        context(
            contextActivities={"other": [{"objectType": "Agent", "mbox": "mailto:a@example.com"}]}
        ),
        path=("context.contextActivities",),
    ),
    Case(
        "team is an Agent",
        "Data 2.4.6.s3 (team: Group)",
        context(team={"objectType": "Agent", "mbox": "mailto:a@example.com"}),
        path=("context.team",),
    ),
    Case(
        "team is an Agent without objectType",
        "Data 2.4.6.s3 (team: Group)",
        context(team=ANNA),
        path=("context.team",),
    ),
    Case(
        "context statement is an Activity",
        "Data 2.4.6.s3 (Statement Reference)",
        context(statement={"objectType": "Activity", "id": "http://example.com/a"}),
        path=("context.statement",),
    ),
    Case(
        "context statement without objectType",
        "Data 2.4.4.3.s4.b1",
        context(statement={"id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}),
        path=("context.statement",),
    ),
    Case(
        "instructor with two IFIs",
        "Data 2.4.2.1.s2.b2",
        context(instructor={"mbox": "mailto:a@example.com", "openid": "http://a.example.org/"}),
        path=("context.instructor",),
    ),
    # interactions
    *[
        Case(
            f"{lst} on a {it} interaction",
            "Data 2.4.4.1.s15 table 2",
            definition(interactionType=it, **{lst: [{"id": "a"}]}),
            path=("object.definition",),
        )
        for it, lst in (
            ("choice", "scale"),
            ("true-false", "choices"),
            ("likert", "source"),
            ("matching", "steps"),
            ("performance", "choices"),
            ("sequencing", "target"),
            ("numeric", "steps"),
            ("other", "choices"),
            ("fill-in", "scale"),
        )
    ],
    Case(
        "duplicate choice ids",
        "Data 2.4.4.1.s16.b1",
        definition(interactionType="choice", choices=[{"id": "a"}, {"id": "b"}, {"id": "a"}]),
        path=("object.definition.choices",),
    ),
    Case(
        "duplicate target ids",
        "Data 2.4.4.1.s16.b1",
        definition(
            interactionType="matching", source=[{"id": "a"}], target=[{"id": "1"}, {"id": "1"}]
        ),
        path=("object.definition.target",),
    ),
    Case(
        "correctResponsesPattern without interactionType",
        "Data 2.4.4.1.s8 (interactionType Required)",
        definition(correctResponsesPattern=["true"]),
        path=("object.definition",),
    ),
    Case(
        "choices without interactionType",
        "Data 2.4.4.1.s8",
        definition(choices=[{"id": "a"}]),
        path=("object.definition",),
    ),
    Case(
        "component without id",
        "Data 2.4.4.1.s15 (id Required)",
        definition(interactionType="choice", choices=[{"description": {"en": "x"}}]),
        path=("object.definition.choices",),
    ),
    Case(
        "component with an empty id",
        "policy (non-empty)",
        definition(interactionType="likert", scale=[{"id": ""}]),
        path=("object.definition.scale",),
    ),
    Case(
        "component with an unknown key",
        "Data 2.2.s4.b1.b7",
        definition(interactionType="choice", choices=[{"id": "a", "name": {"en": "x"}}]),
        path=("object.definition.choices",),
    ),
    # attachments
    *[
        Case(
            f"attachment without {k}",
            "Data 2.4.11.s2 (Required)",
            attachment(**{k: None}),
            path=("attachments[0]",),
        )
        for k in ("usageType", "display", "contentType", "length", "sha2")
    ],
    *[
        Case(
            f"attachment length {v!r}",
            "Data 2.4.11.s2 (Integer) / policy",
            attachment(length=v),
            path=("attachments[0]",),
        )
        for v in ("12", -1, 1.5, True)
    ],
    *[
        Case(
            f"attachment contentType {v!r}",
            "Data 2.4.11.s2 (Internet Media Type)",
            attachment(contentType=v),
            path=("attachments[0]",),
        )
        for v in ("text", "", "text/", "/plain")
    ],
    Case(
        "attachment sha2 not hex",
        "Data 2.4.11.s2",
        attachment(sha2="not a hash"),
        path=("attachments[0]",),
    ),
    # versions
    *[
        Case(f"version {v!r}", "Data 2.4.10.s3.b2", stmt(version=v), V1, path=("version",))
        for v in ("0.95", "1.1.0", "2.0.0", "1.0.", "1.0.x", "", "1")
    ],
    *[
        Case(f"version {v!r} in 2.0", "9274 / policy", stmt(version=v), V2, path=("version",))
        for v in ("0.95", "1.1.0", "2.1.0", "3.0.0", "2.0", "1.0.")
    ],
    Case(
        "version as a number", "Data 2.4.10 (Version string)", stmt(version=1.0), path=("version",)
    ),
    # xAPI 2.0 context agents and groups
    Case(
        "contextAgents in 1.0.3",
        "policy (unknown key in 1.0.3), Data 2.2.s4.b1.b7",
        context(contextAgents=[A_CONTEXT_AGENT]),
        V1,
        path=("context",),
    ),
    Case(
        "contextGroups in 1.0.3",
        "policy (unknown key in 1.0.3), Data 2.2.s4.b1.b7",
        context(contextGroups=[A_CONTEXT_GROUP]),
        V1,
        path=("context",),
    ),
    Case(
        "empty relevantTypes",
        "9274 (relevantTypes non-empty)",
        context(contextAgents=[{**A_CONTEXT_AGENT, "relevantTypes": []}]),
        V2,
        path=("context.contextAgents[0]",),
    ),
    Case(
        "relevantTypes item not an IRI",
        "9274, Data 2.2.s4.b1.b8",
        context(contextGroups=[{**A_CONTEXT_GROUP, "relevantTypes": ["cohort"]}]),
        V2,
        path=("context.contextGroups[0]",),
    ),
    Case(
        'contextAgent objectType "ContextAgent"',
        "9274, Data 2.2.s4.b1.b6",
        context(contextAgents=[{**A_CONTEXT_AGENT, "objectType": "ContextAgent"}]),
        V2,
        path=("context.contextAgents[0]",),
    ),
    Case(
        "contextAgent without objectType",
        "9274 (objectType required)",
        context(contextAgents=[{"agent": ANNA}]),
        V2,
        path=("context.contextAgents[0]",),
    ),
    Case(
        "contextAgent holding a Group",
        "9274 (agent: Agent)",
        context(
            contextAgents=[
                {"objectType": "contextAgent", "agent": {"objectType": "Group", "member": [ANNA]}}
            ]
        ),
        V2,
        path=("context.contextAgents[0]",),
    ),
    Case(
        "contextGroup holding an Agent",
        "9274 (group: Group)",
        context(contextGroups=[{"objectType": "contextGroup", "group": ANNA}]),
        V2,
        path=("context.contextGroups[0]",),
    ),
    Case(
        "contextAgents is an object",
        "9274 (array)",
        context(contextAgents=A_CONTEXT_AGENT),
        V2,
        path=("context.contextAgents",),
    ),
    # more edges
    Case(
        "offset +24:00",
        "Data 4.5 / RFC 3339 5.6 (time-hour 00-23)",
        stmt(timestamp="2013-05-18T05:32:34+24:00"),
        path=("timestamp",),
    ),
    Case(
        "offset without a colon and garbage",
        "Data 4.5 / RFC 3339 5.6",
        stmt(timestamp="2013-05-18T05:32:34+0500x"),
        path=("timestamp",),
    ),
    Case(
        "weeks combined with years",
        "Data 4.6.s2 (weeks cannot be combined)",
        result(duration="P1Y2W"),
        path=("result.duration",),
    ),
    Case(
        "verb with extensions",
        "Data 2.4.3.s3 (id, display only), 2.2.s4.b1.b7",
        stmt(verb={"id": "http://example.com/v", "extensions": {"http://example.com/e": 1}}),
        path=("verb",),
    ),
    Case(
        "language tag with an empty extension",
        "Data 4.2 / RFC 5646 2.2.6",
        stmt(verb={"id": "http://example.com/v", "display": {"en-a": "x"}}),
        path=("verb.display",),
    ),
    Case(
        "mbox with two @",
        "Data 2.4.2.3.s3 (mailto:email address)",
        actor(mbox="mailto:a@b@example.com"),
        path=("actor.mbox",),
    ),
    Case(
        "anonymous Group as authority member",
        "Data 2.4.9.s3.b1 (two Agents)",
        stmt(
            authority={
                "objectType": "Group",
                "member": [ANNA, {"objectType": "Group", "member": [ANNA]}],
            }
        ),
        path=("authority",),
    ),
    Case(
        "SubStatement timestamp without a zone",
        "Data 4.5 / policy (both versions)",
        sub(timestamp="2099-01-01T00:00:00"),
        path=("object.timestamp",),
    ),
    Case(
        "member of a context team Group with two IFIs",
        "Data 2.4.2.1.s2.b2",
        context(
            team={
                "objectType": "Group",
                "member": [
                    {
                        "mbox": "mailto:a@example.com",
                        "account": {"homePage": "http://x.example.com", "name": "a"},
                    }
                ],
            }
        ),
        path=("context.team",),
    ),
    Case(
        "definition name as a string",
        "Data 2.4.4.1.s2 (Language Map)",
        definition(name="Question 1"),
        path=("object.definition.name",),
    ),
    Case(
        "result as an array",
        "Data 2.4.s1 (Object)",
        stmt(result=[{"completion": True}]),
        path=("result",),
    ),
    *[
        Case(
            f"timestamp {t!r} (zone not Z or +-hh:mm)",
            "Data 4.5 / policy",
            stmt(timestamp=t),
            path=("timestamp",),
        )
        for t in (
            "2013-05-18T05:32:34+05",
            "2013-05-18T05:32:34+0530",
            "2013-05-18T05:32:34-05",
            "2013-05-18T05:32:34+00:00:00",
            "2013-05-18T05:32:34.804Z ",
            "2013-05-18T05:32:34.Z",
            "2013-05-18T05Z",
        )
    ],
    *[
        Case(
            f"duration {d!r} (ISO 8601:2004 4.4.3.2)",
            "Data 4.6.s1.b1",
            result(duration=d),
            path=("result.duration",),
        )
        for d in ("PT1.5M30S", "PT-1H", "-PT1H", "P1M1Y", "PT1H1H")
    ],
    *[
        Case(
            f"IRI {iri!r}",
            "Data 2.2.s4.b1.b8 / RFC 3987 (scheme = ALPHA *(...)) / policy",
            obj(id=iri),
            path=("object.id",),
        )
        for iri in (
            "1http://example.com/a",
            "://example.com/a",
            "ht tp://example.com/a",
            "http://example.com/a\tb",
            "http://example.com/a\nb",
        )
    ],
    # format-following means the whole string (Data 2.2.s4.b1.b4)
    *[
        Case(
            f"trailing newline in {name}",
            "Data 2.2.s4.b1.b4 (non-format-following value)",
            st_,
            path=(where,),
        )
        for name, st_, where in (
            ("timestamp", stmt(timestamp="2013-05-18T05:32:34Z\n"), "timestamp"),
            ("stored", stmt(stored="2013-05-18T05:32:34Z\n"), "stored"),
            ("statement id", stmt(id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n"), "id"),
            (
                "registration",
                context(registration="fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n"),
                "context.registration",
            ),
            (
                "StatementRef id",
                obj(objectType="StatementRef", id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n"),
                "object",
            ),
            ("duration", result(duration="PT1H\n"), "result.duration"),
            ("mbox", actor(mbox="mailto:a@example.com\n"), "actor"),
            (
                "mbox_sha1sum",
                actor(mbox_sha1sum="ebd31e95054c018b10727ccffd2ef2ec3a016ee9\n"),
                "actor",
            ),
            ("verb id", stmt(verb={"id": "http://example.com/verbs/did\n"}), "verb"),
            ("activity id", obj(id="http://example.com/activities/1\n"), "object"),
            (
                "account homePage",
                actor(account={"homePage": "http://www.example.com\n", "name": "x"}),
                "actor",
            ),
            (
                "sha2",
                attachment(
                    sha2="495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a\n"
                ),
                "attachments[0]",
            ),
            ("contentType", attachment(contentType="text/plain\n"), "attachments[0]"),
        )
    ],
    *[
        Case(
            f"non-ASCII digits in {v!r}",
            "Data 4.5 / 4.6 (ISO 8601; RFC 3339 DIGIT = %x30-39)",
            st_,
            path=(where,),
        )
        for v, st_, where in (
            (
                "\u0662\u0660\u0661\u0663-05-18T05:32:34Z",
                stmt(timestamp="\u0662\u0660\u0661\u0663-05-18T05:32:34Z"),
                "timestamp",
            ),
            (
                "\uff12\uff10\uff11\uff13-05-18T05:32:34Z",
                stmt(timestamp="\uff12\uff10\uff11\uff13-05-18T05:32:34Z"),
                "timestamp",
            ),
            ("PT\u0661H", result(duration="PT\u0661H"), "result.duration"),
            ("P\uff11D", result(duration="P\uff11D"), "result.duration"),
        )
    ],
    # JSON has no NaN or Infinity (RFC 8259 section 6; About 3.0: statements are JSON)
    Case(
        "raw NaN between min and max",
        "Data 2.4.5.1.s2 (Decimal number between min and max)",
        score(raw=float("nan"), min=0, max=1),
        path=("result.score",),
    ),
    Case(
        "raw Infinity",
        "Data 2.4.5.1.s2 (Decimal number), RFC 8259 6",
        score(raw=float("inf")),
        path=("result.score",),
    ),
]


def _expand(cases: list[Case]) -> list:
    return [pytest.param(c, v, id=f"{c.name} [{v}]") for c in cases for v in c.versions]


@pytest.mark.parametrize(("case", "version"), _expand(SPEC_EXAMPLES + ACCEPTED))
def test_accepted(case: Case, version: str) -> None:
    try:
        validate_statement(copy.deepcopy(case.statement), version)
    except InvalidStatement as error:
        pytest.fail(f"{case.cite}: rejected at {error.path!r}: {error.rule}")


@pytest.mark.parametrize(("case", "version"), _expand(REJECTED))
def test_rejected(case: Case, version: str) -> None:
    assert case.path is not None
    with pytest.raises(InvalidStatement) as caught:
        validate_statement(copy.deepcopy(case.statement), version)
    error = caught.value
    assert isinstance(error.rule, str) and error.rule.strip(), case.cite
    assert any(path_matches(error.path, p) for p in case.path), (
        f"{case.cite}: rejected at {error.path!r} ({error.rule}), expected under {case.path}"
    )


def test_case_names_are_unique() -> None:
    names = [c.name for c in SPEC_EXAMPLES + ACCEPTED + REJECTED]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
