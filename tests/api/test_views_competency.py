"""`/admin/competency/...` and `/views/competency/...` over HTTP, folded in process, on both backends."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lrs.config import Settings
from lrs.credentials import create_credential
from lrs.schema import blobs
from tests.api.conftest import XapiClient, basic
from tests.competency_helpers import (
    ALIGNMENTS,
    CHAT,
    COLLAB,
    COURSE_MEET,
    DATA,
    FW,
    MEET,
    QUIZ_CHAT,
    QUIZ_DATA,
    ROLE,
    agent,
    case_package,
    cohort,
    scored,
    voiding,
)

VIEWS, ADMIN = "/views/competency", "/admin/competency"
AT = "2026-09-01T00:00:00Z"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=db_url, public_url="http://lrs.test",
                    max_body_bytes=5_000_000, auth_cache_seconds=300, projections_in_process=True,
                    view_wait_seconds=30.0)


def _agent(name: str) -> str:
    return json.dumps({"mbox": f"mailto:{name}@example.org"})


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def configure(client: XapiClient) -> int:
    imported = _ok(client.post(f"{ADMIN}/frameworks", json=case_package()), 202)
    assert imported["framework_id"] == FW and imported["items"] == 4 and imported["relations"] == 1
    _ok(client.put(f"{ADMIN}/alignments", json=ALIGNMENTS), 202)
    _ok(client.put(f"{ADMIN}/roles/meeting-host", json=ROLE), 202)
    team = {"name": "Support", "members": [agent(n) for n in ("ann", "bob", "cy")]}
    return int(_ok(client.put(f"{ADMIN}/teams/support", json=team), 202)["position"])


def read(client: XapiClient, path: str, position: int, **params: Any) -> Any:
    return _ok(client.get(f"{VIEWS}/{path}", params={"minPosition": position, "at": AT, **params}))


def test_a_cohort_through_profile_experts_gaps_heatmap_coverage(client: XapiClient, engine: Engine) -> None:
    # Statements first: the configuration arrives after them and still applies (retroactive).
    statements = cohort()
    ann_first = statements[0]
    _ok(client.post_statements(statements))
    position = configure(client)

    profile = read(client, "profile", position, agent=_agent("ann"), framework=FW)
    assert profile["at"] == "2026-09-01T00:00:00.000000Z" and profile["position"] >= position
    cells = {c["iri"]: c for c in profile["competencies"]}
    assert set(cells) == {CHAT, MEET}
    assert cells[CHAT]["status"] == "proficient" and cells[CHAT]["evidenceCount"] == 2  # one vote per quiz
    assert 0.8 < cells[CHAT]["level"] < 0.9 and cells[CHAT]["label"] == "Proficient"
    assert cells[CHAT]["reason"] == "RECENT_LOWER"
    mean = (cells[CHAT]["level"] + cells[MEET]["level"]) / 2
    assert profile["rollups"] == [{"iri": COLLAB, "name": "Communication and collaboration",
                                   "coverage": {"proficient": 2, "children": 2}, "level": pytest.approx(mean),
                                   "derived": True}]

    evidence = read(client, "evidence", position, agent=_agent("ann"), competency=CHAT)
    rows = {r["statement"]: r for r in evidence["evidence"]}
    assert rows[ann_first["id"]]["active"] is False and rows[ann_first["id"]]["supersededBy"] == statements[1]["id"]
    assert evidence["cell"]["params"]["hConfDays"] == 365

    experts = read(client, "experts", position, competency=CHAT)["experts"]
    assert [e["agent"]["mbox"] for e in experts] == ["mailto:bob@example.org", "mailto:ann@example.org"]

    gaps = read(client, "gaps", position, agent=_agent("cy"), role="meeting-host")
    assert gaps["readiness"] == 0.0 and [g["competency"] for g in gaps["gaps"]] == [MEET, CHAT, DATA]
    meet = gaps["gaps"][0]
    assert meet["gapType"] == "missing"
    # CHAT precedes MEET and Cy is not proficient in it: its quiz comes first.
    assert meet["recommendations"][0]["competency"] == CHAT
    assert meet["recommendations"][0]["why"][0] == f"prerequisite of {MEET}"
    own = [r for r in meet["recommendations"] if r["competency"] == MEET]
    assert own[0]["activity"] == COURSE_MEET and own[0]["alignment"] == "teaches"  # missing: teach first
    assert [h["agent"]["mbox"] for h in meet["helpers"]] == ["mailto:bob@example.org", "mailto:ann@example.org"]
    assert read(client, "gaps", position, agent=_agent("ann"), role="meeting-host")["readiness"] == pytest.approx(2 / 2.3)

    heat = read(client, "heatmap", position, team="support", framework=FW)
    rows = {r["competency"]: r for r in heat["rows"]}
    assert heat["members"] == 3 and rows[CHAT]["proficient"] == 2 and rows[CHAT]["developing"] == 1
    assert rows[DATA]["none"] == 3

    coverage = read(client, "coverage", position, role="meeting-host", minExperts=2)
    assert [c["competency"] for c in coverage["atRisk"]] == [DATA]

    pairs = read(client, "pairings", position, competency=CHAT, team="support")
    assert pairs["pairings"][0]["learners"] == [{"mbox": "mailto:cy@example.org", "objectType": "Agent"}]

    exported = read(client, "assertions", position, agent=_agent("ann"), format="ob3")["credentials"]
    assert {c["credentialSubject"]["achievement"]["id"] for c in exported} == {CHAT, MEET}
    assert exported[0]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = exported[0]["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Competency"
    assert achievement["alignment"][0]["targetType"] == "CFItem"
    assert achievement["alignment"][0]["targetFramework"] == "Digital competences"
    assert [level["name"] for level in achievement["resultDescription"][0]["rubricCriterionLevel"]] == [
        "Novice", "Competent", "Proficient", "Expert"]
    assert exported[0]["evidence"] and exported[0]["credentialSubject"]["result"][0]["achievedLevel"]
    again = read(client, "assertions", position, agent=_agent("ann"), format="xapi")["statements"]
    assert {s["verb"]["id"] for s in again} == {"https://w3id.org/xapi/comp/verbs/achievedcompetency"}
    assert again == read(client, "assertions", position, agent=_agent("ann"), format="xapi")["statements"]


def test_voiding_withdraws_and_asof_answers_from_before(client: XapiClient) -> None:
    position = configure(client)
    passed = scored("dee", QUIZ_DATA, 0.9, 1)
    _ok(client.post_statements([passed]))
    head = read(client, "profile", position + 1, agent=_agent("dee"))
    assert [c["iri"] for c in head["competencies"]] == [DATA]
    before_void = head["position"]
    _ok(client.post_statements([voiding(passed["id"])]))
    after = read(client, "profile", before_void + 1, agent=_agent("dee"))
    assert after["competencies"] == []
    past = _ok(client.get(f"{VIEWS}/profile", params={"agent": _agent("dee"), "asOf": before_void, "at": AT}))
    assert past["position"] == before_void and [c["iri"] for c in past["competencies"]] == [DATA]
    # Answered from the evidence rows' intervals (design §8), not from a replay of the log.
    replays = client.http.app.state.services.views.replays
    assert ("competency", "default") not in replays._stores
    evidence = _ok(client.get(f"{VIEWS}/evidence", params={"agent": _agent("dee"), "competency": DATA,
                                                          "asOf": before_void, "at": AT}))
    assert [e["statement"] for e in evidence["evidence"]] == [passed["id"]]
    # A configuration event after the position: the configuration tables are not
    # bitemporal, so the answer is a replay's, the same one.
    changed = _ok(client.put(f"{ADMIN}/teams/support", json={"name": "Support 2", "members": [agent("dee")]}), 202)
    read(client, "profile", changed["position"], agent=_agent("dee"))
    again = _ok(client.get(f"{VIEWS}/profile", params={"agent": _agent("dee"), "asOf": before_void, "at": AT}))
    assert again == past and ("competency", "default") in replays._stores


def test_bad_configuration_is_a_400_naming_the_path_and_nothing_is_written(client: XapiClient, engine: Engine) -> None:
    configure(client)
    broken = case_package()
    del broken["CFItems"][1]["fullStatement"]
    for response in (
        client.post(f"{ADMIN}/frameworks", json=broken),
        client.put(f"{ADMIN}/alignments", json={"alignments": [{"activity": QUIZ_CHAT, "competency": "urn:nope"}]}),
        client.put(f"{ADMIN}/roles/r1", json={"requirements": [{"competency": "urn:nope"}]}),
        client.put(f"{ADMIN}/roles/r1", json={"requirements": [{"competency": CHAT, "min_level": "Wizard"}]}),
        client.put(f"{ADMIN}/teams/t1", json={"members": [{"name": "no ifi"}]}),
    ):
        assert response.status_code == 400, response.text
    assert "$.CFItems[1]" in client.post(f"{ADMIN}/frameworks", json=broken).json()["message"]
    assert "$.alignments[0].competency" in client.put(
        f"{ADMIN}/alignments", json={"alignments": [{"activity": QUIZ_CHAT, "competency": "urn:nope"}]}).json()["message"]
    assert client.get(f"{VIEWS}/profile", params={"agent": _agent("ann"), "framework": "urn:unknown"}).status_code == 400


def test_the_uploaded_original_is_kept_by_sha256(client: XapiClient, engine: Engine) -> None:
    import hashlib

    body = json.dumps(case_package()).encode()
    _ok(client.post(f"{ADMIN}/frameworks", content=body, headers={"Content-Type": "application/json"}), 202)
    with engine.connect() as conn:
        assert conn.execute(select(blobs.c.content).where(blobs.c.sha256 == hashlib.sha256(body).hexdigest())).scalar() == body


def test_simple_csv_and_retire(client: XapiClient) -> None:
    csv = b"id,parent,name,code,mastery_threshold\nurn:s:1,,Listen,S1,0.6\nurn:s:2,urn:s:1,Ask,S2,\n"
    imported = _ok(client.post(f"{ADMIN}/frameworks", content=csv, params={"framework": "urn:s", "title": "Soft"},
                               headers={"Content-Type": "text/csv"}), 202)
    tree = _ok(client.get(f"{VIEWS}/frameworks", params={"framework": "urn:s", "minPosition": imported["position"]}))
    assert tree["items"][0]["iri"] == "urn:s:1" and tree["items"][0]["children"][0]["iri"] == "urn:s:2"
    position = _ok(client.delete(f"{ADMIN}/frameworks", params={"framework": "urn:s"}), 202)["position"]
    listed = _ok(client.get(f"{VIEWS}/frameworks", params={"minPosition": position}))["frameworks"]
    assert listed[0]["retired"] is True


def test_read_mine_sees_only_its_own_agent(client: XapiClient, engine: Engine) -> None:
    position = configure(client)
    own = {"objectType": "Agent", "mbox": "mailto:ann@example.org"}
    _, secret = create_credential(engine, key="ann-key", scopes=("competency/read/mine",), authority=own)
    mine = XapiClient(client.http, auth=basic("ann-key", secret))
    assert mine.get(f"{VIEWS}/profile", params={"agent": _agent("ann"), "minPosition": position}).status_code == 200
    assert mine.get(f"{VIEWS}/profile", params={"agent": _agent("bob")}).status_code == 403
    assert mine.get(f"{VIEWS}/experts", params={"competency": CHAT}).status_code == 403
    assert mine.put(f"{ADMIN}/teams/x", json={"members": []}).status_code == 403


def test_history_recommendations_and_removals(client: XapiClient) -> None:
    _ok(client.post_statements(cohort()))
    position = configure(client)
    history = read(client, "history", position, agent=_agent("ann"), competency=CHAT, step="P1W",
                   **{"from": "2026-05-25T12:00:00Z", "to": "2026-06-16T00:00:00Z"})
    points = history["points"]
    assert [p["status"] for p in points] == ["none", "developing", "developing", "proficient"]
    assert points[1]["level"] == pytest.approx(0.5)  # 1 June: only the first (failed) attempt
    recs = read(client, "recommendations", position, agent=_agent("cy"), competency=CHAT)
    assert recs["gapType"] == "below" and recs["recommendations"][0]["why"][-1].startswith("pass rate")
    assert client.get(f"{VIEWS}/profile", params={"agent": _agent("ann"), "at": "yesterday"}).status_code == 400
    assert client.get(f"{VIEWS}/history", params={"agent": _agent("ann"), "competency": CHAT,
                                                   "step": "P2Q"}).status_code == 400
    removed = _ok(client.delete(f"{ADMIN}/roles/meeting-host"), 202)["position"]
    _ok(client.delete(f"{ADMIN}/teams/support"), 202)
    assert client.delete(f"{ADMIN}/roles/meeting-host").status_code == 404
    gone = client.get(f"{VIEWS}/gaps", params={"agent": _agent("ann"), "role": "meeting-host", "minPosition": removed + 1})
    assert gone.status_code == 400 and "meeting-host" in gone.json()["message"]


def _authority(who: str, verb: str, competency: str, days: float) -> dict[str, Any]:
    from tests.competency_helpers import T0

    return {"actor": agent(who), "verb": {"id": f"https://w3id.org/xapi/tla/verbs/{verb}"},
            "object": {"objectType": "Activity", "id": competency},
            "timestamp": (T0 + timedelta(days=days)).isoformat()}


def test_assertions_in_the_tla_flavour_and_ob3_valid_from(client: XapiClient) -> None:
    position = configure(client)
    # Eve: asserted proficient in DATA on day 1 and again on day 30 (still proficient in
    # between), so her credential is valid from day 1; proficient in CHAT, then it expired.
    _ok(client.post_statements([_authority("eve", "achieved", DATA, 1), _authority("eve", "asserted", DATA, 30),
                                _authority("eve", "achieved", CHAT, 2), _authority("eve", "expired", CHAT, 40)]))
    profile = {c["iri"]: c for c in read(client, "profile", position + 4, agent=_agent("eve"))["competencies"]}
    assert profile[DATA]["status"] == "proficient" and profile[CHAT]["status"] == "lapsed"

    lcp = read(client, "assertions", position + 4, agent=_agent("eve"), format="xapi")
    assert lcp["flavour"] == "lcp"
    assert {s["object"]["id"]: s["verb"]["id"].rsplit("/", 1)[1] for s in lcp["statements"]} == {
        DATA: "achievedcompetency", CHAT: "expiredcompetency"}

    tla = read(client, "assertions", position + 4, agent=_agent("eve"), format="xapi", flavour="tla")
    assert tla["flavour"] == "tla"
    by_competency = {s["object"]["id"]: s for s in tla["statements"]}
    assert set(by_competency) == {DATA, CHAT}
    for iri, sign in ((DATA, 1), (CHAT, -1)):
        found = by_competency[iri]
        assert found["verb"]["id"] == "https://w3id.org/xapi/tla/verbs/asserted"
        assert found["object"]["definition"]["type"] == "https://w3id.org/xapi/tla/activity-types/competency"
        assert "result" not in found  # the MOM excludes it
        extensions = found["context"]["extensions"]
        confidence = extensions["https://w3id.org/xapi/tla/extensions/confidence"]
        assert confidence == pytest.approx(sign * profile[iri]["confidence"], abs=1e-6) and -1 <= confidence <= 1
        assert all(url.startswith("http://lrs.test/xapi/statements?statementId=")
                   for url in extensions["https://w3id.org/xapi/tla/extensions/evidence"])
    from lrs.xapi.validation import validate_statement

    for exported in (*lcp["statements"], *tla["statements"]):
        validate_statement(exported, "1.0.3")  # each one a valid xAPI statement to forward
    # Its own ids, stable across exports.
    assert not {s["id"] for s in tla["statements"]} & {s["id"] for s in lcp["statements"]}
    assert tla == read(client, "assertions", position + 4, agent=_agent("eve"), format="xapi", flavour="tla")

    credentials = read(client, "assertions", position + 4, agent=_agent("eve"), format="ob3")["credentials"]
    assert [c["credentialSubject"]["achievement"]["id"] for c in credentials] == [DATA]  # the lapsed one is not
    assert credentials[0]["validFrom"] == credentials[0]["awardedDate"] == "2026-06-02T09:00:00.000000Z"

    for params, name in (({"format": "ob3", "flavour": "tla"}, "flavour"), ({"format": "xapi", "flavour": "cass"}, "flavour")):
        refused = client.get(f"{VIEWS}/assertions", params={"agent": _agent("eve"), **params})
        assert refused.status_code == 400 and name in refused.text


def test_the_expert_finder_takes_its_minimum_as_a_scale_label(client: XapiClient) -> None:
    _ok(client.post_statements(cohort()))
    position = configure(client)
    everyone = read(client, "experts", position, competency=CHAT)
    levels = {e["agent"]["mbox"]: e["level"] for e in everyone["experts"]}
    # The scale: Novice 0.25, Competent 0.5, Proficient 0.75, Expert 1.0 (score / top score).
    assert 0.75 <= levels["mailto:ann@example.org"] < levels["mailto:bob@example.org"] < 1.0
    by_label = read(client, "experts", position, competency=CHAT, minLevel="Proficient")
    assert by_label["minLevel"] == {"level": 0.75, "label": "Proficient"}
    assert by_label["experts"] == everyone["experts"]
    by_number = read(client, "experts", position, competency=CHAT, minLevel=levels["mailto:bob@example.org"])
    assert [e["agent"]["mbox"] for e in by_number["experts"]] == ["mailto:bob@example.org"]
    assert by_number["minLevel"]["label"] == "Proficient"
    assert read(client, "experts", position, competency=CHAT, minLevel="Expert")["experts"] == []
    for bad in ("Guru", "1.5", "-0.1", "nan"):
        refused = client.get(f"{VIEWS}/experts", params={"competency": CHAT, "minLevel": bad, "at": AT})
        assert refused.status_code == 400 and "minLevel" in refused.text, bad
    assert "Novice, Competent, Proficient, Expert" in client.get(
        f"{VIEWS}/experts", params={"competency": CHAT, "minLevel": "Guru", "at": AT}).text


def test_failed_attempts_are_shown_or_hidden_per_store(client: XapiClient, engine: Engine, make_client: Any) -> None:
    from lrs import log
    from lrs.credentials import create_store

    _ok(client.post_statements(cohort()))
    position = configure(client)
    reader = make_client(scopes=("competency/read",))
    admin = make_client(scopes=("competency/admin",))

    def failed_rows(who: XapiClient, at_position: int, **params: Any) -> list[Any]:
        found = _ok(who.get(f"{VIEWS}/evidence", params={
            "agent": _agent("cy"), "competency": CHAT, "minPosition": at_position, "at": AT, **params}))
        return [r for r in found["evidence"] if r["score"] < 0.7]

    # Unset: the deployment's default (LRS_COMPETENCY_NEGATIVE_EVIDENCE, true).
    assert _ok(admin.get(f"{ADMIN}/settings"))["settings"] == {"negativeEvidence": True}
    assert len(failed_rows(reader, position)) == 1
    before = read(client, "profile", position, agent=_agent("cy"))["competencies"]

    changed = _ok(admin.put(f"{ADMIN}/settings", json={"negativeEvidence": False}), 202)
    assert changed["settings"] == {"negativeEvidence": False}
    assert _ok(admin.get(f"{ADMIN}/settings"))["settings"] == {"negativeEvidence": False}
    assert failed_rows(reader, changed["position"]) == []
    # An access policy: an asOf answer from before the change hides them too.
    assert failed_rows(reader, changed["position"], asOf=position) == []
    # Kept and counted all the same.
    assert read(client, "profile", changed["position"], agent=_agent("cy"))["competencies"] == before

    # Another store keeps the default.
    create_store(engine, "other")
    other_admin = make_client(scopes=("competency/admin",), store_id="other")
    assert _ok(other_admin.get(f"{ADMIN}/settings"))["settings"] == {"negativeEvidence": True}

    # Refused: a 400 naming the setting, nothing written; readers may not change it.
    with engine.connect() as conn:
        head = log.head(conn)[0]
    for body, path in (({"negativeEvidence": "no"}, "$.negativeEvidence"), ({"colour": True}, "$.colour"),
                       ({}, "$")):
        refused = admin.put(f"{ADMIN}/settings", json=body)
        assert refused.status_code == 400 and path in refused.text, refused.text
    assert reader.put(f"{ADMIN}/settings", json={"negativeEvidence": True}).status_code == 403
    assert reader.get(f"{ADMIN}/settings").status_code == 403
    with engine.connect() as conn:
        assert log.head(conn)[0] == head

    shown = _ok(admin.put(f"{ADMIN}/settings", json={"negativeEvidence": True}), 202)
    assert len(failed_rows(reader, shown["position"])) == 1
