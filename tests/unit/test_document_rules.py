"""Properties of the pure document rules (``lrs.xapi.document_rules``).

* merge (Communication 2.2.s7): keys of both sides, the posted side wins, merging the
  same posted document twice equals merging it once, nested objects are replaced;
* ETags (Communication 3.1.s4.b2): the lowercase hex SHA-1 of the content;
* preconditions (Communication 3.1, RFC 7232 3.1, 3.2): If-Match uses strong comparison
  (a weak tag never matches), "*" matches any current document, If-None-Match fails on
  a match.
"""

from __future__ import annotations

import hashlib
import string

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.errors import InvalidDocument, PreconditionFailed
from lrs.xapi.document_rules import check_preconditions, etag, merge, parse_entity_tags

FAST = settings(max_examples=100, deadline=None)
JSON = "application/json"

scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
objects = st.dictionaries(st.text(max_size=6), values, max_size=6)
tags = st.text(alphabet=string.hexdigits.lower()[:16], min_size=40, max_size=40)


def _merge(stored: dict, posted: dict) -> dict:
    return orjson.loads(merge(orjson.dumps(stored), JSON, orjson.dumps(posted), JSON))


@FAST
@given(stored=objects, posted=objects)
def test_merge_keeps_the_keys_of_both_sides(stored, posted):
    assert set(_merge(stored, posted)) == set(stored) | set(posted)


@FAST
@given(stored=objects, posted=objects)
def test_merge_the_posted_side_wins_and_the_rest_is_kept(stored, posted):
    merged = _merge(stored, posted)
    for key, value in posted.items():
        assert merged[key] == value  # replaced whole, even a nested object
    for key in set(stored) - set(posted):
        assert merged[key] == stored[key]


@FAST
@given(stored=objects, posted=objects)
def test_merging_the_same_document_twice_equals_merging_it_once(stored, posted):
    once = merge(orjson.dumps(stored), JSON, orjson.dumps(posted), JSON)
    twice = merge(once, JSON, orjson.dumps(posted), JSON)
    assert orjson.loads(twice) == orjson.loads(once)


def test_merge_replaces_a_nested_object():
    assert _merge({"x": "foo", "y": {"a": 1, "b": 2}}, {"x": "bash", "y": {"c": 3}}) == {
        "x": "bash", "y": {"c": 3},
    }


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a": 1}', "text/plain", b'{"b": 2}', JSON),
        (b'{"a": 1}', JSON, b'{"b": 2}', "text/plain"),
        (b"[1]", JSON, b'{"b": 2}', JSON),
        (b'{"a": 1}', JSON, b"[1]", JSON),
        (b'{"a": 1}', JSON, b"null", JSON),
        (b'{"a": 1}', JSON, b"{", JSON),
    ],
)
def test_merge_refuses_anything_but_two_json_objects(stored, stored_type, posted, posted_type):
    with pytest.raises(InvalidDocument):
        merge(stored, stored_type, posted, posted_type)


@FAST
@given(content=st.binary(max_size=200))
def test_the_etag_is_the_lowercase_hex_sha1(content):
    tag = etag(content)
    assert tag == hashlib.sha1(content).hexdigest()
    assert len(tag) == 40 and set(tag) <= set("0123456789abcdef")
    assert etag(bytes(content)) == tag  # equal content, equal ETag


@FAST
@given(content=st.binary(min_size=1, max_size=200), data=st.data())
def test_a_one_byte_change_changes_the_etag(content, data):
    index = data.draw(st.integers(0, len(content) - 1))
    delta = data.draw(st.integers(1, 255))
    changed = bytearray(content)
    changed[index] = (changed[index] + delta) % 256
    assert etag(bytes(changed)) != etag(content)


@FAST
@given(current=tags, others=st.lists(tags, max_size=3))
def test_if_match_succeeds_when_any_listed_tag_is_current(current, others):
    header = ", ".join(f'"{t}"' for t in [*others, current])
    check_preconditions(current, header, None)
    assert current in (parse_entity_tags(header) or [])


@FAST
@given(current=tags, others=st.lists(tags, max_size=3))
def test_if_match_fails_when_no_listed_tag_is_current(current, others):
    stale = [t for t in others if t != current] or ["0" * 40 if current != "0" * 40 else "1" * 40]
    with pytest.raises(PreconditionFailed):
        check_preconditions(current, ", ".join(f'"{t}"' for t in stale), None)


@FAST
@given(current=tags)
def test_a_weak_tag_never_satisfies_if_match(current):
    with pytest.raises(PreconditionFailed):
        check_preconditions(current, f'W/"{current}"', None)
    assert parse_entity_tags(f'W/"{current}"') == [f"W/{current}"]


@FAST
@given(current=tags)
def test_if_none_match_fails_on_the_current_tag_weak_or_strong(current):
    # RFC 7232 3.2: If-None-Match uses the weak comparison function.
    for header in (f'"{current}"', f'W/"{current}"', f'"{"f" * 40}", "{current}"'):
        with pytest.raises(PreconditionFailed):
            check_preconditions(current, None, header)
    check_preconditions(None, None, f'"{current}"')


def test_star():
    assert parse_entity_tags("*") is None
    assert parse_entity_tags("  * ") is None
    check_preconditions("a" * 40, "*", None)  # any current document matches
    with pytest.raises(PreconditionFailed):
        check_preconditions(None, "*", None)  # no document: If-Match: * fails
    check_preconditions(None, None, "*")  # no document: If-None-Match: * passes
    with pytest.raises(PreconditionFailed):
        check_preconditions("a" * 40, None, "*")


def test_without_headers_nothing_is_checked():
    check_preconditions(None, None, None)
    check_preconditions("a" * 40, None, None)


def test_if_match_is_evaluated_before_if_none_match():
    current = "a" * 40
    # RFC 7232 6: a failing If-Match decides, whatever If-None-Match says.
    with pytest.raises(PreconditionFailed, match="If-Match"):
        check_preconditions(current, '"' + "b" * 40 + '"', '"' + "c" * 40 + '"')


def test_parse_entity_tags_reads_lists_and_spaces():
    assert parse_entity_tags('"a" ,W/"b",  "c" ,') == ["a", "W/b", "c"]


def test_merge_keeps_untouched_numbers_exactly_as_written() -> None:
    # Communication 2.2.s7: the other properties stay as they were; huge integers and
    # out-of-double-range numbers are valid JSON and must not be rounded or refused.
    stored = b'{"big": 12345678901234567890123, "huge": 1e400, "price": 1.10}'
    text = merge(stored, "application/json", b'{"n": 1}', "application/json")
    assert b'"big":12345678901234567890123' in text
    assert b'"huge":1e400' in text and b'"price":1.10' in text and b'"n":1' in text
