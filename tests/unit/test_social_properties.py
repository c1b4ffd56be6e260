"""Properties of the social view (design part c), folded in memory.

Streams come from a small grammar: <= 6 agents; a webinar, a discussion thread,
a document, a group activity; Agent and Group actors; context.team with members
and an instructor; replies naming earlier statements; consumption before or after
authoring; voids of earlier (or not yet seen) statements; opt-out and opt-in
events. Each statement carries, in the generator, the gathering it should land in,
so the oracle below needs none of the view's code.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrs import analytics
from lrs.events import RecordedEvent
from projections.base import fold, snapshot
from projections.social import SocialProjection
from projections.social.network import Facts, build, valid_at
from projections.social.schema import ARTIFACT, INTERACTION, MEMBERSHIP, PARTICIPATION, PRESENCE
from tests.progress_helpers import to_events

PROJECTION = SocialProjection()
AGENTS = [f"a{i}" for i in range(6)]
WEBINAR = {"id": "https://lms.example.com/webinar/1",
           "definition": {"type": "http://id.tincanapi.com/activitytype/webinar"}}
THREAD = {"id": "https://lms.example.com/forum/d1",
          "definition": {"type": "http://id.tincanapi.com/activitytype/discussion"}}
DOCUMENT = {"id": "https://wiki.example.com/doc/1",
            "definition": {"type": "http://id.tincanapi.com/activitytype/document"}}
DAYS = ["2026-02-10", "2026-05-12", "2026-08-20"]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mbox(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{name}@example.com"}


def key(name: str) -> str:
    return f"mbox:mailto:{name}@example.com"


@dataclass
class Item:
    """A generated statement (or config event) and what the oracle needs to know."""

    statement: dict[str, Any] | None = None
    config: tuple[str, str] | None = None  # (event type, agent)
    people: list[str] = field(default_factory=list)
    gathering: str | None = None
    author_of: str | None = None  # artifact id
    consumes: str | None = None  # artifact id
    voids: str | None = None


@st.composite
def items(draw: Any) -> list[Item]:
    out: list[Item] = []
    ids: list[str] = []
    for _ in range(draw(st.integers(1, 14))):
        shape = draw(st.sampled_from(
            ("attend", "group", "team", "post", "reply", "author-doc", "view-doc", "void", "opt", "other")
        ))
        day = draw(st.sampled_from(DAYS))
        ts = f"{day}T{draw(st.integers(8, 17)):02d}:00:00Z"
        actor = draw(st.sampled_from(AGENTS))
        sid = str(uuid.uuid4())
        base = {"id": sid, "actor": mbox(actor), "timestamp": ts}
        if shape == "attend":
            out.append(Item({**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"}, "object": WEBINAR},
                            people=[actor], gathering=f"occ:{WEBINAR['id']}:{day}"))
        elif shape == "group":
            members = draw(st.lists(st.sampled_from(AGENTS), min_size=1, max_size=4, unique=True))
            identified = draw(st.booleans())
            group: dict[str, Any] = {"objectType": "Group", "member": [mbox(m) for m in members]}
            if identified:
                group["account"] = {"homePage": "https://lms.example.com", "name": "group-7"}
            gathering = "grp:" + 'account:["https://lms.example.com","group-7"]' if identified else (
                f"occ:{WEBINAR['id']}:{day}"
            )
            out.append(Item({**base, "actor": group, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
                             "object": WEBINAR}, people=members, gathering=gathering))
        elif shape == "team":
            members = draw(st.lists(st.sampled_from(AGENTS), min_size=1, max_size=3, unique=True))
            instructor = draw(st.sampled_from(AGENTS))
            context = {"team": {"objectType": "Group", "member": [mbox(m) for m in members]},
                       "instructor": mbox(instructor)}
            people = list(dict.fromkeys([actor, instructor, *members]))
            out.append(Item({**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"}, "object": WEBINAR,
                             "context": context}, people=people, gathering=f"occ:{WEBINAR['id']}:{day}"))
        elif shape == "post":
            out.append(Item({**base, "verb": {"id": "https://w3id.org/xapi/acrossx/verbs/posted"}, "object": THREAD},
                            people=[actor], gathering=f"thr:{THREAD['id']}", author_of=THREAD["id"]))
        elif shape == "reply":
            statement = {**base, "verb": {"id": "http://id.tincanapi.com/verb/replied"}, "object": THREAD}
            if ids and draw(st.booleans()):
                statement["context"] = {"statement": {"objectType": "StatementRef", "id": draw(st.sampled_from(ids))}}
            out.append(Item(statement, people=[actor], gathering=f"thr:{THREAD['id']}", consumes=THREAD["id"]))
        elif shape == "author-doc":
            out.append(Item({**base, "verb": {"id": "http://activitystrea.ms/create"}, "object": DOCUMENT},
                            people=[actor], author_of=DOCUMENT["id"]))
        elif shape == "view-doc":
            out.append(Item({**base, "verb": {"id": "http://id.tincanapi.com/verb/viewed"}, "object": DOCUMENT},
                            people=[actor], consumes=DOCUMENT["id"]))
        elif shape == "void":
            target = draw(st.sampled_from(ids)) if ids and draw(st.integers(0, 3)) else str(uuid.uuid4())
            out.append(Item({**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                             "object": {"objectType": "StatementRef", "id": target}}, people=[actor], voids=target))
            continue
        elif shape == "opt":
            kind = draw(st.sampled_from((analytics.OPTED_OUT, analytics.OPTED_IN)))
            out.append(Item(config=(kind, actor)))
            continue
        else:
            out.append(Item({**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                             "object": {"id": "https://lms.example.com/course/1"}}, people=[actor]))
        ids.append(sid)
    return out


def events_of(stream: list[Item]) -> list[RecordedEvent]:
    out = []
    for position, item in enumerate(stream, start=1):
        if item.statement is not None:
            (event,) = to_events([item.statement], first=position)
        else:
            assert item.config is not None
            kind, agent = item.config
            event = RecordedEvent(
                position=position, store_id="default", stream_id="people:opt-out", stream_version=1,
                event_id=f"config-{position}", type=kind, schema_version=1,
                data=orjson.dumps({"agent": {"mbox": f"mailto:{agent}@example.com"}, "agentKey": key(agent),
                                   "reason": ""}).decode(),
                metadata="{}", recorded_at="2026-12-01T00:00:00.000000Z", prev_hash="", hash="",
            )
        out.append(event)
    return out


def facts(snap: dict[str, dict[Any, dict[str, Any]]], at: int | None = None) -> Facts:
    def rows(name: str) -> list[dict[str, Any]]:
        return [dict(r) for r in snap[name].values() if valid_at(r, at)]

    return Facts(rows("social_presence"), rows("social_participation"), rows("social_artifact"),
                 rows("social_interaction"), rows("social_membership"),
                 {r["gathering_key"]: r for r in snap["social_gathering"].values()}, dict(analytics.DEFAULTS))


def folded(events: list[RecordedEvent], batch: int = 0) -> dict[str, dict[Any, dict[str, Any]]]:
    return snapshot(fold(PROJECTION, events, batch=batch), PROJECTION)


@dataclass
class Expected:
    active: set[str]
    pairs: dict[tuple[str, str], int]
    reach: dict[str, set[str]]
    isolated: set[str]


def oracle(stream: list[Item], until: int | None = None) -> Expected:
    """A plain fold: drop voided statements and statements naming someone opted out at
    the time; count gatherings, pairs, reach."""
    upto = stream[: until or len(stream)]
    voided = {item.voids for item in upto if item.voids}
    out: set[str] = set()
    kept: list[tuple[Item, set[str]]] = []  # statement, people excluded at its time
    closed: dict[int, set[str]] = {}
    for index, item in enumerate(upto):
        if item.config is not None:
            kind, agent = item.config
            if kind == analytics.OPTED_OUT:
                out.add(key(agent))
                closed[index] = {key(agent)}
            else:
                out.discard(key(agent))
            continue
        assert item.statement is not None
        if item.voids or item.statement["id"] in voided:
            continue
        kept.append((item, set(out)))
    # An opt-out also closes what the agent did before it: anyone opted out at any
    # point after a statement loses that statement's facts.
    later_out: list[set[str]] = []
    running: set[str] = set()
    for item in reversed(upto):
        if item.config is not None and item.config[0] == analytics.OPTED_OUT:
            running = running | {key(item.config[1])}
        later_out.append(set(running))
    later_out.reverse()
    position_of = {id(item): i for i, item in enumerate(upto)}
    active: set[str] = set()
    members: dict[str, set[str]] = defaultdict(set)
    authors: dict[str, str] = {}
    consumers: dict[str, set[str]] = defaultdict(set)
    for item, excluded in kept:
        gone = excluded | later_out[position_of[id(item)]]
        people = [key(p) for p in item.people]
        actor = people[0] if item.statement and item.statement["actor"].get("objectType") != "Group" else None
        present = item.people if item.statement["actor"].get("objectType") == "Group" else [item.people[0]]
        # The opted-out person leaves the statement; the others it names stay.
        active.update(k for k in (key(p) for p in present) if k not in gone)
        if item.gathering:
            members[item.gathering].update(k for k in people if k not in gone)
        if item.author_of and actor and actor not in gone and item.author_of not in authors:
            authors[item.author_of] = actor
        if item.consumes and actor and actor not in gone:
            consumers[item.consumes].add(actor)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for agents in members.values():
        if 2 <= len(agents) <= 50:
            for a, b in combinations(sorted(agents), 2):
                pairs[(a, b)] += 1
    reach = {a: {c for c in cs if c != authors.get(a)} for a, cs in consumers.items() if a in authors}
    social = {a for agents in members.values() if len(agents) >= 2 for a in agents}
    return Expected(active, dict(pairs), {a: r for a, r in reach.items() if r}, active - social)


def _measures(f: Facts) -> tuple[set[str], dict[tuple[str, str], int], dict[str, set[str]]]:
    net = build(f, None, None)
    return net.active, net.pairs, net.reach


@PROPERTY
@given(stream=items())
def test_oracle_equality_for_active_learners_pairs_and_reach(stream: list[Item]) -> None:
    """P4 and P7: the engine's active set, pair counts and reach equal a plain fold;
    w(a, b) is the number of gatherings (of 2..cap people) holding both."""
    net = build(facts(folded(events_of(stream))), None, None)
    expected = oracle(stream)
    assert net.active == expected.active
    assert net.pairs == expected.pairs
    assert all(a < b for a, b in net.pairs)
    # The bitsets the team answers count with agree with the pairs.
    assert net.pair_count() == len(expected.pairs)
    degree: dict[str, int] = defaultdict(int)
    for a, b in expected.pairs:
        degree[a] += 1
        degree[b] += 1
    assert {a: d for a, d in net.degree().items() if d} == dict(degree)
    some = set(sorted(net.active)[::2])
    assert net.pair_count(some) == sum(1 for a, b in expected.pairs if a in some or b in some)
    assert {a: r for a, r in net.reach.items() if r} == expected.reach


@PROPERTY
@given(stream=items(), data=st.data())
def test_as_of_by_interval_equals_a_replay_to_that_position(stream: list[Item], data: st.DataObject) -> None:
    """P1 and P3: facts valid at P in the full fold are the facts of a fold of 1..P."""
    events = events_of(stream)
    full = folded(events)
    p = data.draw(st.integers(1, len(events)), label="P")
    prefix = folded(events[:p])
    for table in (PRESENCE, PARTICIPATION, ARTIFACT, INTERACTION, MEMBERSHIP):
        at_p = {k: {**r, "valid_to": None} for k, r in full[table.name].items() if valid_at(r, p)}
        live = {k: r for k, r in prefix[table.name].items() if r["valid_to"] is None}
        assert at_p == live, table.name


@PROPERTY
@given(stream=items(), data=st.data())
def test_batch_size_changes_nothing(stream: list[Item], data: st.DataObject) -> None:
    """P2: any batch size gives the same snapshot."""
    events = events_of(stream)
    assert folded(events, batch=data.draw(st.integers(1, 5), label="batch")) == folded(events)


@PROPERTY
@given(stream=items(), data=st.data())
def test_a_void_is_neutral(stream: list[Item], data: st.DataObject) -> None:
    """P5: S then void(S) gives the measures of never having S; asOf between them has S."""
    statements = [i for i, item in enumerate(stream) if item.statement is not None and not item.voids]
    if not statements:
        return
    chosen = data.draw(st.sampled_from(statements), label="S")
    target = stream[chosen].statement
    assert target is not None
    void = Item({"id": str(uuid.uuid4()), "actor": mbox("a0"), "timestamp": "2026-12-01T00:00:00Z",
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                 "object": {"objectType": "StatementRef", "id": target["id"]}}, voids=target["id"])
    with_void = folded(events_of([*stream, void]))
    # Never having S: the same positions, S replaced by a statement that says nothing.
    blank = Item({"id": str(uuid.uuid4()), "actor": {"objectType": "Agent", "mbox": "mailto:nobody@example.com"},
                  "timestamp": target["timestamp"], "verb": {"id": "http://example.com/verbs/noted"},
                  "object": {"id": "https://example.com/nothing"}})
    without = folded(events_of([*stream[:chosen], blank, *stream[chosen + 1:], void]))
    nobody = {"mbox:mailto:nobody@example.com"}
    assert _measures(facts(with_void).without(nobody)) == _measures(facts(without).without(nobody))
    before = _measures(facts(with_void, at=len(stream)))
    assert before == _measures(facts(folded(events_of(stream))))


@PROPERTY
@given(stream=items(), seed=st.integers(0, 1000))
def test_symmetric_aggregates_do_not_depend_on_order(stream: list[Item], seed: int) -> None:
    """P6: permuting statements (no voids, no opt-outs) leaves active learners, pair
    counts and reach unchanged."""
    plain = [item for item in stream if item.statement is not None and not item.voids]
    shuffled = list(plain)
    random.Random(seed).shuffle(shuffled)
    one = build(facts(folded(events_of(plain))), None, None)
    other = build(facts(folded(events_of(shuffled))), None, None)
    assert one.active == other.active and one.pairs == other.pairs
    # Only the first author may differ (it follows position): reach sizes per artifact
    # are compared where both agree on the author.
    for artifact in set(one.reach) & set(other.reach):
        if one.authors.get(artifact) == other.authors.get(artifact):
            assert one.reach[artifact] == other.reach[artifact]


@PROPERTY
@given(stream=items())
def test_an_opt_out_leaves_no_open_fact_naming_the_agent(stream: list[Item]) -> None:
    """P10 (the projection's part): after an opt-out without a later opt-in, no open
    fact names the agent; with the read layer's current opt-outs, no measure does."""
    snap = folded(events_of(stream))
    state: dict[str, bool] = {}
    for item in stream:
        if item.config:
            state[key(item.config[1])] = item.config[0] == analytics.OPTED_OUT
    gone = {agent for agent, out in state.items() if out}
    f = facts(snap)
    for rows in (f.presence, f.participation):
        assert not {r["agent_key"] for r in rows} & gone
    assert not {r["author_key"] for r in f.artifacts} & gone
    assert not {r["src_key"] for r in f.interactions} & gone
    assert not {r["dst_key"] for r in f.interactions} & gone
    net = build(f.without(gone), None, None)
    assert not net.active & gone
    assert not {a for pair in net.pairs for a in pair} & gone


def test_an_objection_of_the_person_a_reply_answers_keeps_the_repliers_reach() -> None:
    """Rule 8 removes the reply's edge to the objector, not the replier's reading of
    another author's thread (found by P4/P7: the whole reply used to go)."""
    def say(actor: str, verb: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "actor": mbox(actor), "timestamp": "2026-02-10T08:00:00Z",
                "verb": {"id": verb}, "object": obj, **extra}

    post = say("a0", "https://w3id.org/xapi/acrossx/verbs/posted", THREAD)
    attended = say("a1", "http://adlnet.gov/expapi/verbs/attended", WEBINAR)

    def reply() -> Item:
        ref = {"statement": {"objectType": "StatementRef", "id": attended["id"]}}
        return Item(say("a2", "http://id.tincanapi.com/verb/replied", THREAD, context=ref), people=["a2"],
                    gathering=f"thr:{THREAD['id']}", consumes=THREAD["id"])

    opt_out = Item(config=(analytics.OPTED_OUT, "a1"))
    base = [Item(post, people=["a0"], gathering=f"thr:{THREAD['id']}", author_of=THREAD["id"]),
            Item(attended, people=["a1"], gathering=f"occ:{WEBINAR['id']}:2026-02-10")]
    # The objection after the reply, and before it.
    for stream in ([*base, reply(), opt_out], [*base, opt_out, reply()]):
        net = build(facts(folded(events_of(stream))), None, None)
        assert {a: r for a, r in net.reach.items() if r} == {THREAD["id"]: {key("a2")}}
        assert not [edge for edge in net.edges if key("a1") in edge[1:3]]
        assert {a: r for a, r in net.reach.items() if r} == oracle(stream).reach
