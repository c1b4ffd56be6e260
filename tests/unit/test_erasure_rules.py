"""Where a person is in a statement, and the statement without them (lrs.xapi.erasure)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.errors import InvalidParameter
from lrs.xapi.erasure import (
    Matcher,
    fingerprint,
    is_full,
    parse_agent,
    placeholder,
    roles,
    without_person,
)

ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:Ann@Example.com"}
ANN_SHA1 = {"mbox_sha1sum": hashlib.sha1(b"mailto:Ann@Example.com").hexdigest()}
BOB = {"objectType": "Agent", "name": "Bob", "openid": "http://id.example.com/bob"}
ACTIVITY = {"objectType": "Activity", "id": "http://example.com/a"}
VERB = {"id": "http://example.com/verbs/did"}
STAND_IN = placeholder("f" * 64)


def _statement(**parts: Any) -> dict[str, Any]:
    return {"id": "0b1e6a4e-6f55-4b7e-9a43-1d3f1f0e2a11", "actor": BOB, "verb": VERB,
            "object": ACTIVITY, **parts}


def _group(*members: dict[str, Any]) -> dict[str, Any]:
    return {"objectType": "Group", "name": "G", "member": list(members)}


CASES = [
    (_statement(actor=ANN), {"actor"}),
    (_statement(object=ANN), {"object"}),
    (_statement(object=_group(BOB, ANN)), {"object"}),
    (_statement(object={"objectType": "SubStatement", "actor": BOB, "verb": VERB,
                        "object": ACTIVITY, "context": {"instructor": ANN}}), {"substatement"}),
    (_statement(authority=_group(ANN, BOB)), {"authority"}),
    (_statement(actor=_group(BOB, ANN)), {"actor-group-member"}),
    (_statement(context={"instructor": ANN}), {"instructor"}),
    (_statement(context={"team": _group(ANN)}), {"team"}),
    (_statement(context={"contextAgents": [{"objectType": "contextAgent", "agent": ANN}]}), {"context-agent"}),
    (_statement(context={"contextGroups": [{"objectType": "contextGroup", "group": _group(BOB, ANN)}]}),
     {"context-group"}),
    (_statement(context={"instructor": BOB}), set()),
]


@pytest.mark.parametrize(("statement", "expected"), CASES)
@pytest.mark.parametrize("named", [ANN, ANN_SHA1, {"mbox": "mailto:Ann@EXAMPLE.COM"}], ids=["mbox", "sha1", "domain-case"])
def test_each_role_is_found_whichever_identifier_names_the_person(
    statement: dict[str, Any], expected: set[str], named: dict[str, Any]
) -> None:
    assert roles(statement, Matcher(named)) == expected


@pytest.mark.parametrize(("statement", "expected"), [c for c in CASES if c[1] and not is_full(c[1])])
def test_a_partial_redaction_leaves_nothing_of_the_person_and_the_rest_as_it_was(
    statement: dict[str, Any], expected: set[str]
) -> None:
    out = without_person(statement, Matcher(ANN), STAND_IN)
    text = orjson.dumps(out).decode()
    assert "Ann" not in text and "mailto" not in text
    assert roles(out, Matcher(ANN)) == set()
    assert out["verb"] == statement["verb"] and out["object"] == statement["object"]
    assert "f" * 64 in text
    assert "Ann" in orjson.dumps(statement).decode()  # the input is left alone


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_the_fingerprint_is_keyed_per_store_and_the_same_for_mbox_and_its_sha1(store: str, secret: str) -> None:
    key = secret.encode("utf-8", "surrogatepass")
    by_mbox = fingerprint(key, store, {"mbox": "mailto:Ann@Example.com"})
    assert by_mbox == fingerprint(key, store, ANN_SHA1)
    assert by_mbox != fingerprint(key + b"x", store, ANN_SHA1)
    assert by_mbox != fingerprint(key, store + "x", ANN_SHA1)
    assert len(by_mbox) == 64


@pytest.mark.parametrize(("value", "path"), [
    ({"mbox": "ann@example.com"}, "agent.mbox"),
    ({"objectType": "Agent"}, "agent"),
    ([], "agent"),
    (_group(), "agent"),
])
def test_a_bad_agent_names_its_path(value: Any, path: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_agent(value)
    assert path in str(caught.value)
