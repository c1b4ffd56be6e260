"""Look-alike identities over HTTP (Data 2.4.2.3): a KELVIN SIGN in an email domain
names somebody else than an ASCII "k", for statement queries and the Agents resource,
and identifiers with control or bidi characters are refused with their path."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import statement
from tests.api.helpers import STATEMENTS, post_one, query_ids

VICTIM = "mailto:victim@kelvin.example"
SPOOF = "mailto:victim@\u212aelvin.example"  # KELVIN SIGN, which str.lower() makes "k"


def test_a_kelvin_sign_domain_is_not_the_ascii_domain(client):
    genuine = post_one(client, statement(actor={"name": "Victim", "mbox": VICTIM}))
    spoofed = post_one(client, statement(actor={"name": "Mallory", "mbox": SPOOF}))
    assert query_ids(client, agent=json.dumps({"mbox": VICTIM})) == [genuine]
    assert query_ids(client, agent=json.dumps({"mbox": "mailto:victim@KELVIN.EXAMPLE"})) == [genuine]
    assert query_ids(client, agent=json.dumps({"mbox": SPOOF})) == [spoofed]
    person = client.get("/xapi/agents", params={"agent": json.dumps({"mbox": VICTIM})}).json()
    assert person["name"] == ["Victim"]
    person = client.get("/xapi/agents", params={"agent": json.dumps({"mbox": SPOOF})}).json()
    assert person["name"] == ["Mallory"]


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u200f", "\u2066", "\u061c"])
def test_identifiers_with_hidden_characters_are_400_naming_path_and_rule(client, char):
    before = query_ids(client)
    response = client.post_statements(statement(actor={"mbox": f"mailto:vic{char}tim@example.com"}))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["path"] == "actor.mbox"
    assert f"U+{ord(char):04X}" in body["rule"] and "Data 2.4.2.3" in body["rule"]
    response = client.post_statements(
        statement(actor={"account": {"homePage": "http://example.com", "name": f"ad{char}min"}})
    )
    assert response.status_code == 400 and response.json()["path"] == "actor.account.name"
    agent = json.dumps({"mbox": f"mailto:vic{char}tim@example.com"})
    for url in (STATEMENTS, "/xapi/agents"):
        refused = client.get(url, params={"agent": agent})
        assert refused.status_code == 400, (url, refused.text)
        assert refused.json()["parameter"] == "agent.mbox"
    assert query_ids(client) == before
