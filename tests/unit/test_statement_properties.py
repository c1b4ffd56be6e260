"""Property tests of ``validate_statement`` against the spec-derived generators and mutators.

* every generated statement is valid for its request version (and 1.0.3 ones also in 2.0);
* validity does not depend on property order (Data 2.2.s2.b4), on extension values
  (Data 4.1.s3.b2), or on a context activity being a single object or a one-element array
  (Data 2.4.6.2.s4.b2); validating does not change the statement;
* every mutant (tests/mutations.py) is rejected with ``InvalidStatement`` whose ``.path``
  lies under the expected path and whose ``.rule`` is a non-empty string;
* every mutation operator applies to at least one of a few rich, hand-written statements,
  so none of them silently goes untested.
"""

from __future__ import annotations

import copy
import random

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from lrs.errors import InvalidStatement
from lrs.xapi.validation import validate_statement
from tests import strategies as xs
from tests.mutations import BY_NAME, MUTATIONS, Mutant, fmt, path_matches, walk

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# No shrinking for the mutant test: one statement gives dozens of mutants, the failure
# message names every failing operator with its exact mutation, and shrinking a statement
# against a validator with several bugs takes minutes.
MUTANTS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)


def rejection_problem(mutant: Mutant, version: str) -> str | None:
    """None when the validator rejects ``mutant`` as expected, else what went wrong."""
    try:
        validate_statement(mutant.statement, version)
    except InvalidStatement as error:
        if not isinstance(error.rule, str) or not error.rule.strip():
            return f"rejected with an empty rule (path {error.path!r})"
        if not isinstance(error.path, str) or not any(
            path_matches(error.path, p) for p in mutant.path
        ):
            return f"rejected at path {error.path!r}, expected under one of {mutant.path} ({error.rule})"
        return None
    except Exception as error:  # any other exception is a validator bug
        return f"raised {type(error).__name__}: {error}"
    return "accepted"


def assert_valid(statement: object, version: str) -> None:
    try:
        validate_statement(statement, version)
    except InvalidStatement as error:
        raise AssertionError(f"valid statement rejected at {error.path!r}: {error.rule}") from error


# ---------------------------------------------------------------------------------------
# Valid data stays valid
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", xs.VERSIONS)
@FAST
@given(data=st.data())
def test_generated_statements_are_valid(version: str, data: st.DataObject) -> None:
    statement = data.draw(xs.statements(version), label="statement")
    assert_valid(statement, version)


@FAST
@given(statement=xs.statements("1.0.3"))
def test_a_1_0_3_statement_is_also_valid_in_2_0(statement: dict) -> None:
    assert_valid(statement, "2.0.0")


@FAST
@given(pair=xs.versioned_statements())
def test_validation_does_not_change_the_statement(pair: tuple[str, dict]) -> None:
    version, statement = pair
    before = copy.deepcopy(statement)
    validate_statement(statement, version)
    assert statement == before


def _shuffled(value: object, rnd: random.Random) -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rnd) for v in value]
    return value


@FAST
@given(pair=xs.versioned_statements(), rnd=st.randoms(use_true_random=False))
def test_property_order_does_not_matter(pair: tuple[str, dict], rnd: random.Random) -> None:
    """Data 2.2.s2.b4: a Statement MAY use its properties in any order."""
    version, statement = pair
    assert_valid(_shuffled(statement, rnd), version)


@FAST
@given(pair=xs.versioned_statements(), data=st.data())
def test_extension_values_never_matter(pair: tuple[str, dict], data: st.DataObject) -> None:
    """Data 4.1.s3.b2: an LRS MUST NOT reject a Statement based on the values of extensions."""
    version, statement = pair
    statement = copy.deepcopy(statement)
    maps = [n.value for n in walk(statement) if n.kind == "extensions"]
    for ext in maps:
        for key in ext:
            ext[key] = data.draw(xs.json_values, label="extension value")
    assert_valid(statement, version)


@FAST
@given(pair=xs.versioned_statements(), rnd=st.randoms(use_true_random=False))
def test_single_context_activity_or_array_of_one(
    pair: tuple[str, dict], rnd: random.Random
) -> None:
    """Data 2.4.6.2.s4.b2: a single Activity Object or an array of Activity Objects."""
    version, statement = pair
    statement = copy.deepcopy(statement)
    for node in walk(statement):
        if node.kind == "contextActivities":
            for key, value in list(node.value.items()):
                if isinstance(value, dict):
                    node.value[key] = [value]
                elif len(value) == 1 and rnd.random() < 0.8:
                    node.value[key] = value[0]
    assert_valid(statement, version)


@FAST
@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
    )
)
def test_a_statement_that_is_not_an_object_is_rejected_at_the_root(value: object) -> None:
    for version in xs.VERSIONS:
        problem = rejection_problem(Mutant(value, ("",), "not an object"), version)
        assert problem is None, problem


# ---------------------------------------------------------------------------------------
# Every mutant is rejected
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", xs.VERSIONS)
@MUTANTS
@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_every_mutant_is_rejected(version: str, data: st.DataObject, rnd: random.Random) -> None:
    statement = data.draw(xs.statements(version), label="statement")
    failures = []
    for mutation in MUTATIONS:
        mutant = mutation.apply(statement, rnd, version)
        if mutant is None:
            continue
        problem = rejection_problem(mutant, version)
        if problem is not None:
            failures.append(f"{mutation.name} [{mutation.rule}] {mutant.description}: {problem}")
    note("\n".join(failures))
    assert not failures, "\n".join(failures)


# Rich, hand-written statements so that every operator has somewhere to apply.
_RICH_SUB = {
    "objectType": "SubStatement",
    "actor": {
        "objectType": "Group",
        "name": "ad hoc",
        "member": [{"mbox": "mailto:ann@example.com"}, {"openid": "http://ann.example.org/"}],
    },
    "verb": {"id": "http://example.com/verbs/will-answer", "display": {"en-US": "will answer"}},
    "object": {
        "objectType": "Activity",
        "id": "http://example.com/questions/q1",
        "definition": {
            "name": {"en-US": "Question 1"},
            "description": {"en-US": "Which of these prototypes are available?"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "moreInfo": "https://example.com/questions/q1/info",
            "interactionType": "choice",
            "correctResponsesPattern": ["golf[,]tetris"],
            "choices": [
                {"id": "golf", "description": {"en-US": "Golf Example"}},
                {"id": "facebook", "description": {"en-US": "Facebook App"}},
                {"id": "tetris", "description": {"en-US": "Tetris Example"}},
            ],
            "extensions": {"http://example.com/ext/difficulty": None},
        },
    },
    "result": {
        "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
        "success": True,
        "completion": False,
        "response": "golf[,]tetris",
        "duration": "PT1M30.5S",
        "extensions": {"http://example.com/ext/attempts": 2},
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": {
            "name": "Teacher",
            "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        },
        "revision": "2",
        "platform": "Example LMS",
        "language": "en-US",
        "contextActivities": {"parent": [{"id": "http://example.com/tests/t1"}]},
        "extensions": {},
    },
    "timestamp": "2099-01-01T00:00:00Z",
    "attachments": [
        {
            "usageType": "http://example.com/attachment-usage/answer",
            "display": {"en-US": "answer"},
            "contentType": "text/plain",
            "length": 12,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        }
    ],
}

RICH_1_0_3 = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {
        "objectType": "Group",
        "name": "Team PB",
        "mbox": "mailto:teampb@example.com",
        "member": [
            {
                "objectType": "Agent",
                "name": "Andrew",
                "account": {"homePage": "http://www.example.com", "name": "13936749"},
            },
            {"objectType": "Agent", "openid": "http://toby.openid.example.org/"},
            {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        ],
    },
    "verb": {
        "id": "http://example.com/verbs/planned",
        "display": {"en-US": "planned", "en-GB": "planned"},
    },
    "object": _RICH_SUB,
    "result": {"completion": True, "score": {"min": -5, "max": 5}},
    "context": {
        "team": {"objectType": "Group", "mbox": "mailto:team@example.com"},
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
        "contextActivities": {
            "grouping": {"id": "http://example.com/courses/algebra"},
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
        },
        "language": "de-CH",
    },
    "timestamp": "2013-05-18T05:32:34.804+00:00",
    "stored": "2013-05-18T05:32:34.804Z",
    "authority": {
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
    },
    "version": "1.0.0",
    "attachments": [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "description": {"en-US": "A test signature"},
            "contentType": "application/octet-stream",
            "length": 4235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
            "fileUrl": "https://example.com/signatures/1",
        }
    ],
}

RICH_2_0 = {
    "actor": {"mbox": "mailto:learner@example.com", "name": "Learner"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
    "object": {
        "id": "http://example.com/questions/match",
        "definition": {
            "interactionType": "matching",
            "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
            "source": [{"id": "ben", "description": {"en-US": "Ben"}}, {"id": "chris"}],
            "target": [{"id": "2"}, {"id": "3", "description": {"en-US": "Duck"}}],
        },
    },
    "result": {"score": {"raw": 3, "max": 4}, "duration": "PT4M"},
    "context": {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": {"mbox": "mailto:peer@example.com"},
                "relevantTypes": ["https://example.com/types/peer"],
            }
        ],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "member": [{"mbox": "mailto:x@example.com"}]},
                "relevantTypes": ["https://example.com/types/cohort"],
            }
        ],
        "revision": "3",
        "extensions": {"http://example.com/ext/x": {"nested": None}},
    },
    "version": "2.0.0",
}

RICH_AGENT_OBJECT = {
    "actor": {"mbox": "mailto:nellie@example.com"},
    "verb": {"id": "http://example.com/verbs/interviewed"},
    "object": {"objectType": "Agent", "mbox": "mailto:jeff@example.com"},
    "context": {"instructor": {"objectType": "Group", "openid": "http://group.example.org/"}},
}

RICH = (
    ("1.0.3", RICH_1_0_3),
    ("2.0.0", RICH_2_0),
    ("1.0.3", RICH_AGENT_OBJECT),
    ("2.0.0", RICH_1_0_3),
)


@pytest.mark.parametrize(
    ("version", "statement"),
    RICH,
    ids=["rich-1.0.3", "rich-2.0", "agent-object", "rich-1.0.3-in-2.0"],
)
def test_the_rich_statements_are_valid(version: str, statement: dict) -> None:
    assert_valid(statement, version)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_mutation_applies_somewhere_and_is_rejected(name: str) -> None:
    mutation = BY_NAME[name]
    applied = 0
    failures = []
    for seed in range(25):
        for version, statement in RICH:
            mutant = mutation.apply(statement, random.Random(seed), version)
            if mutant is None:
                continue
            applied += 1
            problem = rejection_problem(mutant, version)
            if problem is not None:
                failures.append(f"{mutant.description}: {problem}")
    assert applied, f"{name} applies to none of the rich statements"
    assert not failures, f"{name} [{mutation.rule}]\n" + "\n".join(sorted(set(failures)))


def test_paths_are_formatted_as_documented() -> None:
    assert (
        fmt(("context", "contextActivities", "parent", 0, "id"))
        == "context.contextActivities.parent[0].id"
    )
    assert fmt(()) == ""
    assert path_matches("result.score.scaled", "result.score")
    assert path_matches("actor.member[0]", "actor.member")
    assert not path_matches("actorX", "actor")
    assert path_matches("", "") and not path_matches("actor", "")
