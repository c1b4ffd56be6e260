"""The social view's extraction rules (projections.social.logic), case by case:
gathering keys (first match wins), participants and roles, artifacts, interactions,
the store's time zone, unknown verbs."""

from __future__ import annotations

from typing import Any

from lrs.xapi.agents import ifi_key
from projections.social import logic

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
REG = "9b3f6a52-6f0e-4a55-9d0c-0d8f9d7f8e31"
WEBINAR = {"id": "https://e.example.com/w/1", "definition": {"type": "http://id.tincanapi.com/activitytype/webinar",
                                                             "name": {"de": "Webinar", "en": "Webinar EN"}}}
THREAD = {"id": "https://m.example.com/d/1", "definition": {"type": "http://id.tincanapi.com/activitytype/discussion"}}
GROUP = {"objectType": "Group", "account": {"homePage": "https://m.example.com", "name": "g-7"},
         "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}]}


def agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{name}@example.com"}


def key(name: str) -> str:
    return f"mbox:mailto:{name}@example.com"


def statement(verb: str = ATTENDED, obj: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": "0f0b6a52-6f0e-4a55-9d0c-0d8f9d7f8e31", "actor": extra.pop("actor", agent("a")), "verb": {"id": verb},
            "object": obj or WEBINAR, "timestamp": extra.pop("timestamp", "2026-07-09T22:30:00Z"), **extra}


def test_a_webinar_is_an_occasion_on_the_local_day_of_the_store() -> None:
    utc = logic.extract(statement())
    assert utc.participations[0].gathering_key == f"occ:{WEBINAR['id']}:2026-07-09"
    assert utc.participations[0].name == "Webinar EN"
    amsterdam = logic.extract(statement(), "Europe/Amsterdam")
    assert amsterdam.participations[0].gathering_key == f"occ:{WEBINAR['id']}:2026-07-10"
    assert amsterdam.local_date == "2026-07-10"


def test_the_virtual_classroom_registration_comes_first() -> None:
    context = {"registration": REG, "team": GROUP,
               "contextActivities": {"category": [{"id": "https://w3id.org/xapi/virtual-classroom"}]}}
    found = logic.extract(statement(context=context))
    assert {p.gathering_key for p in found.participations} == {f"vc:{REG}"}
    # Without the profile's category, the registration is not a session (never cmi5's).
    found = logic.extract(statement(context={"registration": REG}))
    assert found.participations[0].gathering_key.startswith("occ:")


def test_an_identified_group_beats_threads_and_occasions() -> None:
    found = logic.extract(statement(actor=GROUP, obj=THREAD))
    assert {p.gathering_key for p in found.participations} == {'grp:account:["https://m.example.com","g-7"]'}
    assert {p.agent_key for p in found.participations} == {key("a"), key("b")}
    assert found.presence == [key("a"), key("b")]
    # An anonymous Group: its listed members take part, keyed by the thread.
    anonymous = {"objectType": "Group", "member": [agent("c"), agent("d"), agent("c")]}
    found = logic.extract(statement(actor=anonymous, obj=THREAD))
    assert {p.gathering_key for p in found.participations} == {f"thr:{THREAD['id']}"}
    assert [p.agent_key for p in found.participations] == [key("c"), key("d")]


def test_a_thread_found_through_the_parent() -> None:
    post = {"id": "https://m.example.com/post/9"}
    found = logic.extract(statement("http://id.tincanapi.com/verb/replied", post,
                                    context={"contextActivities": {"parent": [THREAD]}}))
    assert found.participations[0].gathering_key == f"thr:{THREAD['id']}"
    assert found.reply_activities == (post["id"], THREAD["id"])


def test_roles_from_instructor_context_agents_and_context_groups() -> None:
    context = {
        "instructor": agent("t"),
        "contextAgents": [{"objectType": "contextAgent", "agent": agent("m"),
                           "relevantTypes": ["https://w3id.org/xapi/social/roles/mentor"]}],
        "contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [agent("x")]},
                           "relevantTypes": ["https://w3id.org/xapi/social/roles/observer"]}],
        "team": {"objectType": "Group", "member": [agent("b"), agent("a")]},
    }
    found = logic.extract(statement(context=context))
    roles = {p.agent_key: p.role for p in found.participations}
    assert roles == {key("a"): "learner", key("t"): "instructor", key("m"): "mentor", key("x"): "observer",
                     key("b"): "learner"}
    instructs = {(i.src_key, i.dst_key) for i in found.interactions if i.kind == "instruct"}
    assert instructs == {(key("t"), key("a")), (key("t"), key("b"))}


def test_unknown_verbs_give_presence_only() -> None:
    found = logic.extract(statement("http://example.com/verbs/pondered"))
    assert found.presence == [key("a")] and not found.participations and not found.interactions


def test_artifacts_consumption_shares_and_mentoring() -> None:
    document = {"id": "https://w.example.com/doc", "definition": {"type": "http://id.tincanapi.com/activitytype/document"}}
    authored = logic.extract(statement("http://activitystrea.ms/schema/1.0/create", document))
    assert [(a.artifact_id, a.kind, a.author_key) for a in authored.artifacts] == [(document["id"], "document", key("a"))]
    share_ref = {"statement": {"objectType": "StatementRef", "id": "5D0B6A52-6F0E-4A55-9D0C-0D8F9D7F8E31"}}
    viewed = logic.extract(statement("http://id.tincanapi.com/verb/viewed", document, context=share_ref))
    (consume,) = viewed.interactions
    assert (consume.kind, consume.artifact_id, consume.via_statement_id) == (
        "consume", document["id"], "5d0b6a52-6f0e-4a55-9d0c-0d8f9d7f8e31")
    shared = logic.extract(statement("http://adlnet.gov/expapi/verbs/shared", document))
    assert [i.kind for i in shared.interactions] == ["share"] and not shared.artifacts
    mentored = logic.extract(statement("http://id.tincanapi.com/verb/mentored", agent("b")))
    assert [(i.kind, i.src_key, i.dst_key) for i in mentored.interactions] == [("mentor", key("a"), key("b"))]
    # Replying in a Moodle thread does not make the replier an author of the thread.
    replied = logic.extract(statement("http://id.tincanapi.com/verb/replied", THREAD))
    assert not replied.artifacts


def test_reply_targets_follow_rule_four() -> None:
    assert logic.reply_target("a", "b", ["c"]) == "b"
    assert logic.reply_target("a", "a", ["c"]) is None  # replying to oneself
    assert logic.reply_target("a", None, [None, "a", "c"]) == "c"
    assert logic.reply_target("a", None, [None]) is None


def test_group_membership_from_join_and_leave() -> None:
    team = {"id": "https://m.example.com/group/4",
            "definition": {"type": "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/group"}}
    joined = logic.extract(statement("http://activitystrea.ms/join", team))
    left = logic.extract(statement("http://activitystrea.ms/leave", team))
    assert [(m.agent_key, m.team_key, m.action) for m in joined.memberships] == [(key("a"), team["id"], "join")]
    assert [m.action for m in left.memberships] == ["leave"]


def test_the_team_at_a_moment_hr_import_first_then_join_and_leave() -> None:
    from projections.social.network import NO_TEAM, team_at

    def row(source: str, action: str, team: str, start: str | None, end: str | None = None, at: int = 1) -> dict[str, Any]:
        return {"agent_key": key("a"), "source": source, "action": action, "team_key": team, "from_ts": start,
                "to_ts": end, "valid_from": at, "seq": 0}

    joined = [row("statement", "join", "g-1", "2026-02-01T10:00:00.000000Z"),
              row("statement", "leave", "g-1", "2026-04-01T10:00:00.000000Z", at=2)]
    assert team_at(joined, key("a"), "2026-01-15T10:00:00.000000Z", "UTC") == NO_TEAM
    assert team_at(joined, key("a"), "2026-03-01T10:00:00.000000Z", "UTC") == "g-1"
    assert team_at(joined, key("a"), "2026-05-01T10:00:00.000000Z", "UTC") == NO_TEAM
    imported = [*joined, row("import", "member", "sales-nl", "2026-03-01", "2026-06-01")]
    assert team_at(imported, key("a"), "2026-03-01T10:00:00.000000Z", "UTC") == "sales-nl"
    assert team_at(imported, key("a"), "2026-02-15T10:00:00.000000Z", "UTC") == "g-1"
    # The import's dates are local dates of the store: 23:30 UTC on 31 May is 1 June in Amsterdam.
    assert team_at(imported, key("a"), "2026-05-31T23:30:00.000000Z", "UTC") == "sales-nl"
    assert team_at(imported, key("a"), "2026-05-31T23:30:00.000000Z", "Europe/Amsterdam") == NO_TEAM


TO = "https://lms.example.com/xapi/extensions/to"
SENT = "http://activitystrea.ms/schema/1.0/send"
MESSAGE = {"id": "https://m.example.com/message/9", "definition": {"type": "http://id.tincanapi.com/activitytype/chat-message"}}


def test_a_group_in_a_configured_extension_is_a_gathering_of_its_members() -> None:
    """Appendix A.3: "Group inside an extension (configurable extension keys)": a group
    message names its recipients in an extension; with the key configured, the
    Group is a group gathering and its listed members take part."""
    recipients = {**GROUP, "member": [{"mbox": "mailto:b@example.com"}, {"mbox": "mailto:c@example.com"}]}
    sent = statement(SENT, MESSAGE, context={"extensions": {TO: recipients}})
    found = logic.extract(sent, "UTC", (TO,))
    group = f"grp:{ifi_key(GROUP)}"
    assert {(p.gathering_key, p.agent_key, p.role) for p in found.participations} == {
        (group, key("a"), "learner"), (group, key("b"), "learner"), (group, key("c"), "learner"),
    }
    # Not configured: the extension is not read (the statement authors a message only).
    plain = logic.extract(sent, "UTC", ())
    assert plain.participations == [] and [a.artifact_id for a in plain.artifacts] == [MESSAGE["id"]]
    # A list of Groups; other values under the key (an Agent, text) are left alone.
    other = {"objectType": "Group", "mbox": "mailto:team-x@example.com", "member": [{"mbox": "mailto:d@example.com"}]}
    listed = statement(SENT, MESSAGE, context={"extensions": {TO: [agent("z"), "x", other, recipients]}})
    found = logic.extract(listed, "UTC", (TO,))
    assert {p.gathering_key for p in found.participations} == {"grp:mbox:mailto:team-x@example.com"}
    assert {p.agent_key for p in found.participations} == {key("a"), key("b"), key("c"), key("d")}


def test_groups_named_by_the_statement_come_before_those_in_extensions() -> None:
    own = {"objectType": "Group", "mbox": "mailto:own@example.com", "member": [{"mbox": "mailto:e@example.com"}]}
    sent = statement(SENT, MESSAGE, context={"team": own, "extensions": {TO: GROUP}})
    found = logic.extract(sent, "UTC", (TO,))
    assert {p.gathering_key for p in found.participations} == {"grp:mbox:mailto:own@example.com"}
    assert {p.agent_key for p in found.participations} == {key("a"), key("e"), key("b")}
