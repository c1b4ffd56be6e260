"""What only the State Resource does (Communication 2.3): registrations, DELETE of many, agents."""

from __future__ import annotations

import json

from tests.api.documents_helpers import (
    LEARNER,
    OTHER_ACTIVITY,
    OTHER_LEARNER,
    OTHER_REGISTRATION,
    REGISTRATION,
    STATE,
    agent_param,
    delete,
    get,
    put,
)


def _ids(client, **params):
    response = get(client, STATE, **params)
    assert response.status_code == 200, response.text
    return sorted(response.json())


def test_registration_separates_documents(client):
    put(client, STATE, "progress", b'{"page": 1}')
    put(client, STATE, "progress", b'{"page": 2}', registration=REGISTRATION)
    put(client, STATE, "progress", b'{"page": 3}', registration=OTHER_REGISTRATION)
    assert get(client, STATE, "progress").json() == {"page": 1}
    assert get(client, STATE, "progress", registration=REGISTRATION).json() == {"page": 2}
    assert get(client, STATE, "progress", registration=OTHER_REGISTRATION).json() == {"page": 3}
    assert get(client, STATE, "bookmark", registration=REGISTRATION).status_code == 404
    # The registration is a UUID: its case does not make another document.
    assert get(client, STATE, "progress", registration=REGISTRATION.upper()).json() == {"page": 2}


def test_listing_with_a_registration_lists_only_its_documents(client):
    put(client, STATE, "a", b"{}")
    put(client, STATE, "b", b"{}", registration=REGISTRATION)
    put(client, STATE, "c", b"{}", registration=OTHER_REGISTRATION)
    assert _ids(client, registration=REGISTRATION) == ["b"]
    assert _ids(client, registration=OTHER_REGISTRATION) == ["c"]


def test_listing_without_a_registration_lists_each_id_once(client):
    put(client, STATE, "progress", b"{}")
    put(client, STATE, "progress", b"{}", registration=REGISTRATION)
    put(client, STATE, "bookmark", b"{}", registration=OTHER_REGISTRATION)
    assert _ids(client) == ["bookmark", "progress"]


def test_registration_must_be_a_uuid(client):
    for bad in ("not-a-uuid", "12345", REGISTRATION + "0", ""):
        assert put(client, STATE, "doc", b"{}", registration=bad).status_code == 400, bad
        assert get(client, STATE, "doc", registration=bad).status_code == 400, bad
        assert get(client, STATE, registration=bad).status_code == 400, bad
        assert delete(client, STATE, registration=bad).status_code == 400, bad


def _fill(client) -> None:
    put(client, STATE, "plain", b"{}")
    put(client, STATE, "reg-1", b"{}", registration=REGISTRATION)
    put(client, STATE, "reg-2", b"{}", registration=OTHER_REGISTRATION)
    put(client, STATE, "other-agent", b"{}", agent=agent_param(OTHER_LEARNER))
    put(client, STATE, "other-activity", b"{}", activityId=OTHER_ACTIVITY)


def _survivors(client) -> dict[str, int]:
    checks = {
        "plain": {},
        "reg-1": {"registration": REGISTRATION},
        "reg-2": {"registration": OTHER_REGISTRATION},
        "other-agent": {"agent": agent_param(OTHER_LEARNER)},
        "other-activity": {"activityId": OTHER_ACTIVITY},
    }
    return {doc_id: get(client, STATE, doc_id, **params).status_code for doc_id, params in checks.items()}


def test_delete_without_state_id_deletes_every_registration_of_the_activity_and_agent(client):
    _fill(client)
    assert delete(client, STATE).status_code == 204
    assert _survivors(client) == {
        "plain": 404, "reg-1": 404, "reg-2": 404, "other-agent": 200, "other-activity": 200,
    }
    assert _ids(client) == []


def test_delete_without_state_id_with_a_registration_deletes_only_that_registration(client):
    _fill(client)
    assert delete(client, STATE, registration=REGISTRATION).status_code == 204
    assert _survivors(client) == {
        "plain": 200, "reg-1": 404, "reg-2": 200, "other-agent": 200, "other-activity": 200,
    }


def test_the_agent_is_identified_by_its_identifier(client):
    put(client, STATE, "doc", b'{"who": "learner"}')
    same_person = [
        {"mbox": LEARNER["mbox"]},
        {"objectType": "Agent", "name": "Another Name", "mbox": LEARNER["mbox"]},
        {"mbox": "mailto:learner@EXAMPLE.com"},
    ]
    for agent in same_person:
        got = get(client, STATE, "doc", agent=json.dumps(agent))
        assert got.status_code == 200, agent
        assert got.json() == {"who": "learner"}
        assert _ids(client, agent=json.dumps(agent)) == ["doc"]
    # The local part of an address is not case-insensitive, and other identifiers are other agents.
    for agent in ({"mbox": "mailto:LEARNER@example.com"}, {"openid": "http://openid.example.com/learner"}):
        assert get(client, STATE, "doc", agent=json.dumps(agent)).status_code == 404, agent


def test_an_account_agent_has_its_own_documents(client):
    account = {"account": {"homePage": "http://lms.example.com", "name": "learner-17"}}
    put(client, STATE, "doc", b'{"via": "account"}', agent=json.dumps(account))
    renamed = {"name": "Someone", "account": {"name": "learner-17", "homePage": "http://lms.example.com"}}
    assert get(client, STATE, "doc", agent=json.dumps(renamed)).json() == {"via": "account"}
    assert get(client, STATE, "doc").status_code == 404


def test_documents_need_no_prior_knowledge_of_the_activity_or_agent(client):
    # Communication 2.2.s4.b2: nothing about this activity or agent was ever stated.
    activity, agent = "urn:example:never-seen", json.dumps({"mbox": "mailto:new@example.com"})
    assert put(client, STATE, "doc", b"{}", activityId=activity, agent=agent).status_code == 204
    assert get(client, STATE, "doc", activityId=activity, agent=agent).status_code == 200
