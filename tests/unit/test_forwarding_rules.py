"""Forwarding's pure rules: filters (hypothesis over valid statements), the 1.0.3
translation, webhook signatures, target URL checks, Retry-After."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.forwarding import filters, signing, translate, urls
from lrs.forwarding.errors import InvalidTarget
from lrs.xapi.agents import ifi_key
from lrs.xapi.validation import VOIDED, validate_statement
from projections.forwarding.delivery import retry_after
from tests.strategies import iris, statements

STORES = ("default", "sales", "hr")


def _parts(statement: dict[str, Any]) -> dict[str, Any]:
    """Filter values drawn from the statement itself, so that matches happen."""
    obj = statement["object"]
    parents = []
    for rel in ("parent", "grouping"):
        related = statement.get("context", {}).get("contextActivities", {}).get(rel) or []
        parents += [a["id"] for a in ([related] if isinstance(related, dict) else related)]
    return {
        "verb": statement["verb"]["id"],
        "activity": obj.get("id") if obj.get("objectType", "Activity") == "Activity" else None,
        "parent": parents[0] if parents else None,
        "actor": statement["actor"] if ifi_key(statement["actor"]) else None,
    }


@st.composite
def filter_cases(draw):  # type: ignore[no-untyped-def]
    version = draw(st.sampled_from(("1.0.3", "2.0.0")))
    statement = draw(statements(version))
    own = _parts(statement)
    spec: dict[str, Any] = {}
    if draw(st.booleans()):
        pool = [draw(iris())] + ([own["verb"]] if draw(st.booleans()) else [])
        spec["verbs"] = pool
    if draw(st.booleans()):
        pool = [draw(iris())] + [v for v in (own["activity"], own["parent"]) if v and draw(st.booleans())]
        spec["activities"] = pool
        spec["descendants"] = draw(st.booleans())
    if draw(st.booleans()):
        spec["agents"] = [{"mbox": "mailto:someone.else@example.org"}] + (
            [own["actor"]] if own["actor"] and draw(st.booleans()) else [])
    if draw(st.booleans()):
        spec["stores"] = draw(st.lists(st.sampled_from(STORES), min_size=1, unique=True))
    if draw(st.booleans()):
        spec["statements"] = draw(st.sampled_from(filters.STATEMENT_KINDS))
    store = draw(st.sampled_from(STORES))
    return spec, statement, store


@settings(max_examples=100, deadline=None)
@given(filter_cases())
def test_a_filter_is_the_and_of_its_properties(case):  # type: ignore[no-untyped-def]
    spec, statement, store = case
    whole = filters.parse(spec).matches(statement, store)
    singles = [filters.parse({k: v for k, v in spec.items() if k == name or
                              (name == "activities" and k == "descendants")})
               for name in spec if name != "descendants"]
    assert whole == all(f.matches(statement, store) for f in singles)


@settings(max_examples=100, deadline=None)
@given(filter_cases())
def test_each_property_decides_as_the_statement_says(case):  # type: ignore[no-untyped-def]
    spec, statement, store = case
    if "verbs" in spec:
        assert filters.parse({"verbs": spec["verbs"]}).matches(statement, store) == (
            statement["verb"]["id"] in spec["verbs"])
    if "stores" in spec:
        assert filters.parse({"stores": spec["stores"]}).matches(statement, store) == (store in spec["stores"])
    if "agents" in spec:
        keys = {ifi_key(a) for a in spec["agents"]}
        obj = statement["object"]
        about = ifi_key(statement["actor"]) in keys or (
            obj.get("objectType") in ("Agent", "Group") and ifi_key(obj) in keys)
        assert filters.parse({"agents": spec["agents"]}).matches(statement, store) == about
    if "activities" in spec:
        narrow = filters.parse({"activities": spec["activities"]})
        wide = filters.parse({"activities": spec["activities"], "descendants": True})
        # Descendants only ever add statements.
        assert not narrow.matches(statement, store) or wide.matches(statement, store)
        own = _parts(statement)
        if own["activity"] in spec["activities"]:
            assert narrow.matches(statement, store)
        if own["parent"] in spec["activities"]:
            assert wide.matches(statement, store)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(("1.0.3", "2.0.0")).flatmap(statements), st.sampled_from(STORES))
def test_statements_and_voiding_split_every_statement_in_two(statement, store):  # type: ignore[no-untyped-def]
    everything = filters.parse({}).matches(statement, store)
    plain = filters.parse({"statements": "statements"}).matches(statement, store)
    voiding = filters.parse({"statements": "voiding"}).matches(statement, store)
    assert everything and plain != voiding
    assert voiding == (statement["verb"]["id"] == VOIDED)


@settings(max_examples=100, deadline=None)
@given(statements("2.0.0"))
def test_a_2_0_statement_translated_is_a_valid_1_0_3_statement(statement):  # type: ignore[no-untyped-def]
    translated = translate.to_v1(statement)
    validate_statement(translated, "1.0.3")
    assert translated["id"] == statement["id"] if "id" in statement else True
    # Nothing else changes.
    assert {k: v for k, v in translated.items() if k not in ("version", "context", "object")} == {
        k: v for k, v in statement.items() if k not in ("version", "context", "object")}


def test_translation_leaves_a_1_0_3_target_version_untouched_for_2_0_targets():
    statement = {"version": "2.0.0", "context": {"contextAgents": []}}
    assert translate.for_version(statement, "2.0.0") is statement
    assert translate.for_version(statement, "1.0.3") == {"version": "1.0.0"}


def test_signatures_verify_and_refuse_tampering_other_secrets_and_replays():
    secret, body = "a-webhook-secret-of-some-length", b'{"events": []}'
    header = signing.sign(secret, body)
    assert signing.verify(secret, header, body)
    assert not signing.verify(secret, header, body + b" ")
    assert not signing.verify("another-secret-entirely", header, body)
    old = signing.sign(secret, body, timestamp=int(time.time()) - 301)
    assert not signing.verify(secret, old, body)  # a replay of a recorded request
    assert signing.verify(secret, old, body, tolerance=600)
    assert not signing.verify(secret, "v1=abc", body)
    assert not signing.verify(secret, "t=soon,v1=abc", body)
    # What a receiver in any language computes: HMAC-SHA-256(secret, "<t>." + body), hex.
    import hashlib
    import hmac
    t = int(time.time())
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert signing.sign(secret, body, timestamp=t) == f"t={t},v1={expected}"


@pytest.mark.parametrize("url", [
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://192.168.1.10/",
    "http://172.16.0.1/", "http://[fe80::1]/", "http://224.0.0.1/", "http://app.localhost/",
])
def test_private_and_special_addresses_are_refused_unless_allowed(url):
    with pytest.raises(InvalidTarget) as refused:
        urls.check(url, allow_private=False)
    assert refused.value.path == "url"
    assert urls.check(url, allow_private=True) == url


def test_a_public_address_is_allowed():
    assert urls.check("https://93.184.216.34:8443/xapi/", allow_private=False)


def test_retry_after_takes_seconds_or_a_date():
    assert retry_after("120") == 120.0
    assert retry_after(None) is None and retry_after("soon") is None
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    assert 55 <= (retry_after(later) or 0) <= 61
