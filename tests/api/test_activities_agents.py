"""The Activities (Communication 2.5) and Agents (Communication 2.4) resources."""

from __future__ import annotations

import hashlib
import json

from tests.api.conftest import statement
from tests.api.documents_helpers import quoted_etag

ACTIVITIES = "/xapi/activities"
AGENTS = "/xapi/agents"
QUIZ = "http://example.com/activities/quiz"
CMI = "http://adlnet.gov/expapi/activities/cmi.interaction"
ADA = "mailto:ada@example.com"
BOB = {"objectType": "Agent", "name": "Bob", "mbox": "mailto:bob@example.com"}


def _post(client, *statements) -> None:
    response = client.post_statements(list(statements))
    assert response.status_code == 200, response.text


def _activity(client, activity_id: str):
    response = client.get(ACTIVITIES, params={"activityId": activity_id})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == quoted_etag(response.content)
    return response.json()


def _about_quiz(definition: dict) -> dict:
    return statement(object={"objectType": "Activity", "id": QUIZ, "definition": definition})


def test_the_activity_comes_back_with_its_definition(client):
    definition = {
        "name": {"en-US": "Quiz"},
        "description": {"en-US": "A short quiz"},
        "type": CMI,
        "moreInfo": "http://example.com/quiz/about",
        "extensions": {"http://example.com/ext/level": 3},
    }
    _post(client, _about_quiz(definition))
    assert _activity(client, QUIZ) == {"objectType": "Activity", "id": QUIZ, "definition": definition}


def test_an_unknown_activity_is_returned_by_its_id(client):
    unknown = "http://example.com/activities/never-mentioned"
    assert _activity(client, unknown) == {"objectType": "Activity", "id": unknown}
    head = client.head(ACTIVITIES, params={"activityId": unknown})
    assert head.status_code == 200 and head.content == b""


def test_a_name_in_another_language_is_merged_in(client):
    _post(client, _about_quiz({"name": {"en-US": "Quiz"}, "description": {"en-US": "A short quiz"}}))
    _post(client, _about_quiz({"name": {"fr-FR": "Questionnaire"}}))
    definition = _activity(client, QUIZ)["definition"]
    assert definition["name"] == {"en-US": "Quiz", "fr-FR": "Questionnaire"}
    assert definition["description"] == {"en-US": "A short quiz"}


def test_a_later_name_in_the_same_language_replaces_it(client):
    _post(client, _about_quiz({"name": {"en-US": "Quiz", "de-DE": "Test"}}))
    _post(client, _about_quiz({"name": {"en-US": "Quiz, renamed"}}))
    assert _activity(client, QUIZ)["definition"]["name"] == {"en-US": "Quiz, renamed", "de-DE": "Test"}


def test_the_interaction_model_of_the_first_definition_is_kept(client):
    first = {
        "name": {"en-US": "Pick one"},
        "type": CMI,
        "interactionType": "choice",
        "correctResponsesPattern": ["golf"],
        "choices": [
            {"id": "golf", "description": {"en-US": "Golf"}},
            {"id": "tetris", "description": {"en-US": "Tetris"}},
        ],
    }
    later = {
        "name": {"en-US": "Pick one, again"},
        "interactionType": "choice",
        "correctResponsesPattern": ["chess"],
        "choices": [{"id": "chess", "description": {"en-US": "Chess"}}],
    }
    _post(client, _about_quiz(first))
    _post(client, _about_quiz(later))
    definition = _activity(client, QUIZ)["definition"]
    assert definition["name"] == {"en-US": "Pick one, again"}
    for key in ("interactionType", "correctResponsesPattern", "choices"):
        assert definition[key] == first[key], key


def test_the_activity_id_is_required_and_an_iri(client):
    assert client.get(ACTIVITIES).status_code == 400
    assert client.get(ACTIVITIES, params={"activityId": "not an iri"}).status_code == 400
    assert client.get(ACTIVITIES, params={"activityid": QUIZ}).status_code == 400
    assert client.get(ACTIVITIES, params={"activityId": QUIZ, "extra": "1"}).status_code == 400


def _person(client, agent: dict):
    response = client.get(AGENTS, params={"agent": json.dumps(agent)})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == quoted_etag(response.content)
    person = response.json()
    assert set(person) <= {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
    return person


def test_the_person_has_every_name_seen_for_the_identifier(client):
    _post(
        client,
        statement(actor={"objectType": "Agent", "name": "Ada", "mbox": ADA}),
        statement(actor=BOB, object={"objectType": "Agent", "name": "Ada Lovelace", "mbox": "mailto:ada@EXAMPLE.com"}),
        statement(actor={"objectType": "Group", "name": "Team",
                         "member": [{"name": "Countess", "mbox": ADA}, BOB]}),
        statement(actor=BOB, context={"instructor": {"name": "Professor Ada", "mbox": ADA}}),
        statement(actor={"objectType": "Agent", "name": "Someone else", "mbox": "mailto:eve@example.com"}),
    )
    person = _person(client, {"mbox": ADA})
    assert person["objectType"] == "Person"
    assert sorted(person["name"]) == ["Ada", "Ada Lovelace", "Countess", "Professor Ada"]
    assert person["mbox"] == [ADA]
    assert person["mbox_sha1sum"] == [hashlib.sha1(ADA.encode()).hexdigest()]


def test_an_unknown_agent_is_still_a_person(client):
    openid = {"objectType": "Agent", "name": "Nobody", "openid": "http://openid.example.com/nobody"}
    assert _person(client, openid) == {
        "objectType": "Person", "name": ["Nobody"], "openid": ["http://openid.example.com/nobody"],
    }
    account = {"account": {"homePage": "http://lms.example.com", "name": "u-42"}}
    assert _person(client, account) == {"objectType": "Person", "account": [account["account"]]}


def test_an_mbox_also_gives_its_sha1sum(client):
    person = _person(client, {"mbox": "mailto:new@example.com"})
    assert person == {
        "objectType": "Person",
        "mbox": ["mailto:new@example.com"],
        "mbox_sha1sum": [hashlib.sha1(b"mailto:new@example.com").hexdigest()],
    }


def test_the_agents_resource_needs_one_agent(client):
    group = {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com",
             "member": [{"mbox": ADA}]}
    for params in (
        {},
        {"agent": json.dumps(group)},
        {"agent": json.dumps({"mbox": ADA, "openid": "http://openid.example.com/ada"})},
        {"agent": "not json"},
        {"Agent": json.dumps({"mbox": ADA})},
        {"agent": json.dumps({"mbox": ADA}), "extra": "1"},
    ):
        assert client.get(AGENTS, params=params).status_code == 400, params
