"""Agent identity (Data 2.4.2.3) cannot be spoofed with look-alike or invisible
characters: only the ASCII letters of an email domain fold to lowercase, and control
and formatting characters are refused in IRIs, mbox values, openids and accounts."""

from __future__ import annotations

import json
import string
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lrs.errors import InvalidParameter, InvalidStatement
from lrs.xapi import value_formats
from lrs.xapi.agents import ifi_key, parse_agent_parameter
from lrs.xapi.statement_rules import matches_stored
from lrs.xapi.validation import validate_statement
from tests import strategies as xs

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Format and bidi controls an attacker uses to make one identifier look like another.
BIDI_AND_FORMAT = (
    "\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u200e", "\u200f", "\u2066", "\u2067",
    "\u2068", "\u2069", "\u061c", "\u00ad", "\u200b", "\u2060", "\ufeff",
)
CONTROLS = ("\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", *BIDI_AND_FORMAT)


def _statement(**actor: Any) -> dict[str, Any]:
    return {
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "http://example.com/activities/a"},
    }


def _refused(statement: dict[str, Any], path: str) -> InvalidStatement:
    with pytest.raises(InvalidStatement) as raised:
        validate_statement(statement, "2.0.0")
    assert raised.value.path == path, raised.value
    return raised.value


def test_the_kelvin_sign_does_not_collapse_to_an_ascii_k():
    spoof = {"mbox": "mailto:victim@\u212aelvin.example"}
    assert "\u212a".lower() == "k"  # what str.lower() did to the domain
    assert ifi_key(spoof) != ifi_key({"mbox": "mailto:victim@kelvin.example"})
    assert ifi_key({"mbox": "mailto:victim@KELVIN.example"}) == ifi_key(
        {"mbox": "mailto:victim@kelvin.example"}
    )
    # Statement comparison (Data 2.3.1) folds the same way.
    kelvin = _statement(mbox="mailto:victim@\u212aelvin.example")
    ascii_k = _statement(mbox="mailto:victim@kelvin.example")
    assert not matches_stored(kelvin, ascii_k)
    assert matches_stored(_statement(mbox="mailto:victim@KELVIN.example"), ascii_k)


def test_the_agent_parameter_folds_like_statements():
    spoof = parse_agent_parameter('{"mbox": "mailto:victim@\\u212aelvin.example"}')
    assert ifi_key(spoof) != ifi_key({"mbox": "mailto:victim@kelvin.example"})


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_and_bidi_characters_are_refused_in_identifiers(char):
    where = f"vic{char}tim"
    error = _refused(_statement(mbox=f"mailto:{where}@example.com"), "actor.mbox")
    assert f"U+{ord(char):04X}" in error.rule and "Data 2.4.2.3" in error.rule
    _refused(_statement(mbox=f"mailto:victim@exa{char}mple.com"), "actor.mbox")
    _refused(_statement(openid=f"http://example.com/{where}"), "actor.openid")
    _refused(_statement(account={"homePage": f"http://example.com/{where}", "name": "v"}),
             "actor.account.homePage")
    _refused(_statement(account={"homePage": "http://example.com", "name": where}),
             "actor.account.name")
    iri = _statement(mbox="mailto:a@example.com")
    iri["verb"]["id"] = f"http://example.com/verbs/{where}"
    error = _refused(iri, "verb.id")
    assert "RFC 3987" in error.rule
    with pytest.raises(InvalidParameter) as raised:
        parse_agent_parameter(json.dumps({"mbox": f"mailto:{where}@example.com"}))
    assert raised.value.parameter == "agent.mbox"


@pytest.mark.parametrize(
    "iri",
    [
        "http://example.com/فعل/خواندن",
        "http://例え.テスト/日本語",
        "http://example.com/می\u200cخواهم",  # noqa: RUF001 - ZWNJ joins Persian words (RFC 5892 A.1)
        "urn:example:café",
        "http://bücher.example/übung?q=ζ#π",
    ],
)
def test_legitimate_non_ascii_iris_stay_valid(iri):
    assert value_formats.is_iri(iri)
    statement = _statement(openid=iri)
    statement["verb"]["id"] = iri
    validate_statement(statement, "2.0.0")


# ------------------------------------------------------------------------- properties

_ASCII_DOMAIN = st.text(string.ascii_letters + string.digits + "-.", min_size=1, max_size=20)
_NON_ASCII_LETTER = st.characters(categories=("Lu", "Ll", "Lt"), min_codepoint=0x80)


@FAST
@given(xs.mboxes(), st.data())
def test_an_agents_key_ignores_the_ascii_case_of_its_domain(mbox, data):
    local, _, domain = mbox.partition("@")
    flips = data.draw(st.lists(st.booleans(), min_size=len(domain), max_size=len(domain)))
    mixed = "".join(c.upper() if flip else c.lower() for c, flip in zip(domain, flips, strict=True))
    assert ifi_key({"mbox": f"{local}@{mixed}"}) == ifi_key({"mbox": mbox})
    assert ifi_key({"mbox": f"{local}@{domain.upper()}"}) == ifi_key({"mbox": mbox})
    # The local part is case-sensitive (RFC 5321 2.4): it is never folded.
    if local.lower() != local.upper():
        assert ifi_key({"mbox": f"{local.upper()}@{domain}"}) != ifi_key({"mbox": f"{local.lower()}@{domain}"})


@FAST
@given(_ASCII_DOMAIN, _NON_ASCII_LETTER, st.integers(min_value=0, max_value=20))
@example("elvin.example", "\u212a", 0)  # KELVIN SIGN: lower() gives "k"
@example("ecure.example", "\u017f", 0)  # LATIN SMALL LONG S: upper() gives "S"
@example("stanbul.example", "\u0130", 0)  # I WITH DOT ABOVE: lower() gives "i" + U+0307
def test_a_non_ascii_letter_never_collapses_to_an_ascii_look_alike(domain, letter, where):
    at = where % (len(domain) + 1)
    spoof = f"mailto:victim@{domain[:at]}{letter}{domain[at:]}"
    for look_alike in {
        letter.lower(), letter.upper(), letter.casefold(),
        unicodedata.normalize("NFKC", letter), unicodedata.normalize("NFKC", letter).lower(),
    }:
        if look_alike.isascii():
            genuine = f"mailto:victim@{domain[:at]}{look_alike}{domain[at:]}"
            assert ifi_key({"mbox": spoof}) != ifi_key({"mbox": genuine})
            assert ifi_key({"mbox": spoof}) != ifi_key({"mbox": genuine.lower()})


_FORBIDDEN = st.characters(categories=("Cc", "Cf")).filter(lambda c: c not in "\u200c\u200d")


@FAST
@given(xs.iris(), _FORBIDDEN, st.integers(min_value=0, max_value=200))
def test_a_control_character_anywhere_in_an_iri_is_refused(iri, char, where):
    at = where % (len(iri) + 1)
    bad = iri[:at] + char + iri[at:]
    assert not value_formats.is_iri(bad)
    statement = _statement(mbox="mailto:a@example.com")
    statement["object"]["id"] = bad
    _refused(statement, "object.id")
    statement = _statement(openid=bad)
    _refused(statement, "actor.openid")
    statement = _statement(account={"homePage": bad, "name": "a"})
    _refused(statement, "actor.account.homePage")


@FAST
@given(xs.mboxes(), _FORBIDDEN, st.integers(min_value=7, max_value=40))
def test_a_control_character_anywhere_in_an_mbox_is_refused(mbox, char, where):
    at = 7 + where % (len(mbox) - 6)  # after "mailto:"
    _refused(_statement(mbox=mbox[:at] + char + mbox[at:]), "actor.mbox")
