"""The tincan package's document calls against a real ``lrs serve`` (xAPI 1.0.3).

What tincan 1.0.0 does on the wire, read from tincan/remote_lrs.py:

* ``retrieve_*`` looks headers up in ``HTTPResponse.getheaders()``, a list of pairs, so a
  retrieved document never carries the LRS's ETag: the tests read it with a HEAD request
  and set it, as an application would, before saving or deleting with If-Match;
* ``save_state`` sends its PUT twice and never sends a registration; a State PUT without
  If-Match is allowed in 1.0.3, so the tests save states without an ETag and store the
  registration's document with a plain HTTP PUT;
* ``retrieve_*`` decodes the body as UTF-8, so the documents are text.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid

from tincan import Activity, Agent, RemoteLRS
from tincan.documents import ActivityProfileDocument, AgentProfileDocument, StateDocument

from tests.e2e.conftest import KEY, SECRET

ACTIVITY = Activity(id="http://example.com/activities/e2e-documents")
AGENT = Agent(name="Learner", mbox="mailto:e2e-learner@example.com")


def remote(server) -> RemoteLRS:
    return RemoteLRS(endpoint=server.endpoint, username=KEY, password=SECRET)


def _http(server, method: str, resource: str, params: dict[str, str], body: bytes | None = None,
          headers: dict[str, str] | None = None):
    lrs = remote(server)
    request = urllib.request.Request(
        f"{server.endpoint}{resource}?{urllib.parse.urlencode(params)}",
        data=body,
        method=method,
        headers={"Authorization": lrs.auth, "X-Experience-API-Version": "1.0.3", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def _etag(server, resource: str, params: dict[str, str]) -> str:
    status, headers, body = _http(server, "HEAD", resource, params)
    assert status == 200 and body == b""
    return headers["ETag"]


def test_state_documents(server):
    lrs = remote(server)
    agent_json = AGENT.to_json(lrs.version)
    registration = str(uuid.uuid4())

    bookmark = StateDocument(id="bookmark", activity=ACTIVITY, agent=AGENT,
                             content='{"page": 1}', content_type="application/json")
    assert lrs.save_state(bookmark).success
    notes = StateDocument(id="notes", activity=ACTIVITY, agent=AGENT, content="some notes",
                          content_type="text/plain")
    assert lrs.save_state(notes).success
    status, _, _ = _http(server, "PUT", "activities/state",
                         {"activityId": ACTIVITY.id, "agent": agent_json, "stateId": "bookmark",
                          "registration": registration},
                         b'{"page": 7}', {"Content-Type": "application/json"})
    assert status == 204

    fetched = lrs.retrieve_state(ACTIVITY, AGENT, "bookmark")
    assert fetched.success, fetched.data
    assert bytes(fetched.content.content) == b'{"page": 1}'
    in_registration = lrs.retrieve_state(ACTIVITY, AGENT, "bookmark", registration=registration)
    assert bytes(in_registration.content.content) == b'{"page": 7}'
    assert bytes(lrs.retrieve_state(ACTIVITY, AGENT, "notes").content.content) == b"some notes"

    ids = lrs.retrieve_state_ids(ACTIVITY, AGENT)
    assert ids.success and sorted(ids.content) == ["bookmark", "notes"]
    assert lrs.retrieve_state_ids(ACTIVITY, AGENT, registration=registration).content == ["bookmark"]

    # Saving a retrieved state again (1.0.3 needs no If-Match for State).
    document = fetched.content
    document.content = '{"page": 2}'
    assert lrs.save_state(document).success
    assert bytes(lrs.retrieve_state(ACTIVITY, AGENT, "bookmark").content.content) == b'{"page": 2}'

    # delete_state with the ETag the LRS gave; a stale one is refused.
    document.etag = '"' + "0" * 40 + '"'
    assert lrs.delete_state(document).response.status == 412
    document.etag = _etag(server, "activities/state",
                          {"activityId": ACTIVITY.id, "agent": agent_json, "stateId": "bookmark"})
    assert lrs.delete_state(document).success
    missing = lrs.retrieve_state(ACTIVITY, AGENT, "bookmark")
    assert missing.success and missing.response.status == 404  # tincan reads a 404 as "no document"
    assert lrs.retrieve_state(ACTIVITY, AGENT, "bookmark", registration=registration).response.status == 200

    # Clearing the registration's states leaves the others; clearing everything empties it.
    assert lrs.clear_state(ACTIVITY, AGENT, registration=registration).success
    assert lrs.retrieve_state_ids(ACTIVITY, AGENT, registration=registration).content == []
    assert lrs.retrieve_state_ids(ACTIVITY, AGENT).content == ["notes"]
    assert lrs.clear_state(ACTIVITY, AGENT).success
    assert lrs.retrieve_state_ids(ACTIVITY, AGENT).content == []


def test_activity_profile_documents(server):
    lrs = remote(server)
    params = {"activityId": ACTIVITY.id, "profileId": "settings"}

    profile = ActivityProfileDocument(id="settings", activity=ACTIVITY, content='{"level": 1}',
                                      content_type="application/json")
    assert lrs.save_activity_profile(profile).success
    # A second PUT without If-Match is a 409 (Communication 3.1.s4.b13).
    assert lrs.save_activity_profile(profile).response.status == 409

    fetched = lrs.retrieve_activity_profile(ACTIVITY, "settings")
    assert fetched.success and bytes(fetched.content.content) == b'{"level": 1}'
    assert fetched.response.getheader("Last-Modified", "").endswith(" GMT")
    assert lrs.retrieve_activity_profile_ids(ACTIVITY).content == ["settings"]

    document = fetched.content
    document.etag = _etag(server, "activities/profile", params)
    document.content = '{"level": 2}'
    assert lrs.save_activity_profile(document).success
    assert bytes(lrs.retrieve_activity_profile(ACTIVITY, "settings").content.content) == b'{"level": 2}'
    # The ETag it sent is stale now.
    assert lrs.save_activity_profile(document).response.status == 412
    assert lrs.delete_activity_profile(document).response.status == 412

    document.etag = _etag(server, "activities/profile", params)
    assert lrs.delete_activity_profile(document).success
    assert lrs.retrieve_activity_profile(ACTIVITY, "settings").response.status == 404
    assert lrs.retrieve_activity_profile_ids(ACTIVITY).content == []


def test_agent_profile_documents(server):
    lrs = remote(server)
    params = {"agent": AGENT.to_json(lrs.version), "profileId": "preferences"}

    profile = AgentProfileDocument(id="preferences", agent=AGENT, content='{"theme": "dark"}',
                                   content_type="application/json")
    assert lrs.save_agent_profile(profile).success
    other = AgentProfileDocument(id="avatar", agent=AGENT, content="text avatar", content_type="text/plain")
    assert lrs.save_agent_profile(other).success

    fetched = lrs.retrieve_agent_profile(AGENT, "preferences")
    assert fetched.success and json.loads(bytes(fetched.content.content)) == {"theme": "dark"}
    # The same agent under another name is the same agent.
    renamed = Agent(name="Someone Else", mbox=AGENT.mbox)
    assert sorted(lrs.retrieve_agent_profile_ids(renamed).content) == ["avatar", "preferences"]

    document = fetched.content
    document.etag = _etag(server, "agents/profile", params)
    document.content = '{"theme": "light"}'
    assert lrs.save_agent_profile(document).success
    again = lrs.retrieve_agent_profile(AGENT, "preferences")
    assert bytes(again.content.content) == b'{"theme": "light"}'

    document.etag = _etag(server, "agents/profile", params)
    assert lrs.delete_agent_profile(document).success
    assert lrs.retrieve_agent_profile(AGENT, "preferences").response.status == 404
    assert lrs.retrieve_agent_profile_ids(AGENT).content == ["avatar"]
