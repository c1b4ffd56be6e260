"""Facts reused at an unchanged checkpoint answer as a fresh read does.

projections.social.reuse keeps the facts (and the networks built from them) read
at a checkpoint of the view, and hands them to later reads while the checkpoint,
the store's latest erasure and the objections in force are unchanged. Here the
view is folded by the real runner from the real log, on both backends, and after
every change a user can make (statements, a void, settings, memberships, an
objection and its withdrawal, an erasure) every answer built on the reused facts
must equal the answer built on a fresh read. Facts kept at an earlier position
and patched to a later one (projections.social.delta, .carry) must too.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from lrs import analytics, erasure
from lrs.credentials import create_store, ensure_default_store
from projections import erasure as view_erasure
from projections.runner import Runner
from projections.social import SocialProjection, queries
from projections.social.reuse import Reuse
from projections.windows import Window, parse
from tests.progress_helpers import write

STORE = "default"
PEOPLE = [f"p{i}" for i in range(14)]
TEAMS = ["sales", "ops", "support"]
WINDOWS = [("2026-Q3", None, None), ("2026-07", None, None), (None, "2026-07-01", "2026-07-10"), (None, None, None)]
WEBINAR = "http://id.tincanapi.com/activitytype/webinar"
DISCUSSION = "http://id.tincanapi.com/activitytype/discussion"


def agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{name}@example.com"}


def traffic(seed: int, n: int) -> list[dict[str, Any]]:
    """Webinars, forum threads (posts, replies, views) and mentoring in July 2026."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []

    def add(actor: str, verb: str, obj: dict[str, Any]) -> dict[str, Any]:
        day, hour = rng.randint(1, 31), rng.randint(8, 17)
        statement = {"id": str(uuid.uuid4()), "actor": agent(actor), "verb": {"id": verb}, "object": obj,
                     "timestamp": f"2026-07-{day:02d}T{hour:02d}:00:00Z"}
        out.append(statement)
        return statement

    while len(out) < n:
        shape = rng.random()
        if shape < 0.4:
            webinar = {"id": f"https://events.example.com/w/{rng.randrange(4)}", "definition": {"type": WEBINAR}}
            for name in rng.sample(PEOPLE, rng.randint(3, 9)):
                add(name, "http://adlnet.gov/expapi/verbs/attended", webinar)
        elif shape < 0.8:
            thread = {"id": f"https://lms.example.com/forum/d/{rng.randrange(5)}", "definition": {"type": DISCUSSION}}
            add(rng.choice(PEOPLE), "https://w3id.org/xapi/acrossx/verbs/posted", thread)
            for name in rng.sample(PEOPLE, rng.randint(0, 4)):
                add(name, "http://id.tincanapi.com/verb/replied", thread)
            for name in rng.sample(PEOPLE, rng.randint(0, 5)):
                add(name, "http://id.tincanapi.com/verb/viewed", thread)
        else:
            add(rng.choice(PEOPLE), "http://id.tincanapi.com/verb/mentored", agent(rng.choice(PEOPLE)))
    return out


def answers(facts: Any, window: Window | None) -> dict[str, Any]:
    from projections.social import metrics as graph_metrics

    return {
        "overview": queries.overview(facts, window),
        "teams": queries.teams(facts, window),
        "contributions": queries.contributions(facts, window, sort="reach", viewer=None, limit=50, offset=0),
        "me": [queries.me(facts, window, f"mbox:mailto:{name}@example.com") for name in PEOPLE[:4]],
        "metrics": [
            graph_metrics.compute(queries.network(facts, window), level="team", measure=measure)
            for measure in graph_metrics.MEASURES
        ],
    }


def compare(engine: Engine, reuse: Reuse) -> list[dict[str, Any]]:
    """Each window answered twice through ``reuse`` and once from a fresh read: equal."""
    settings = analytics.current_settings(engine, STORE)
    out = []
    with engine.connect() as conn:
        current = queries.opted_out(conn, STORE)
        for name, start, end in WINDOWS:
            window = parse(name, start, end, settings["timezone"])
            fresh = answers(queries.load(conn, STORE, window, current), window)
            first = answers(reuse.facts(conn, STORE, window, current, queries.load), window)
            again = answers(reuse.facts(conn, STORE, window, current, queries.load), window)
            assert first == fresh, (name, start, end)
            assert again == fresh, (name, start, end)
            out.append(fresh)
    return out


@pytest.fixture
def folded(engine: Engine) -> Runner:
    ensure_default_store(engine)
    csv = "agent,team,valid_from,valid_to\n" + "".join(
        f"mailto:{name}@example.com,{TEAMS[i % 3]},2026-01-01,\n" for i, name in enumerate(PEOPLE)
    )
    analytics.import_memberships(engine, STORE, csv, actor="test")
    analytics.change_settings(engine, STORE, {"minGroupSize": 3, "minGroupSizePerformance": 3}, actor="test")
    return Runner(engine, [SocialProjection()])


def fold(runner: Runner) -> None:
    runner.catch_up()


def test_reused_facts_answer_as_a_fresh_read_after_every_change(engine: Engine, folded: Runner) -> None:
    reuse = Reuse()
    runner = folded
    written = traffic(1, 60)
    write(engine, written)
    fold(runner)
    before = compare(engine, reuse)
    assert reuse.hits >= len(WINDOWS)  # the second read of each window reused the first
    misses = reuse.misses
    compare(engine, reuse)
    assert reuse.misses == misses  # an unchanged checkpoint: every read reused
    steps = [
        lambda: write(engine, traffic(2, 30)),
        lambda: write(engine, [{"id": str(uuid.uuid4()), "actor": agent("p0"),
                                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                                "object": {"objectType": "StatementRef", "id": written[0]["id"]}}]),
        lambda: analytics.change_settings(engine, STORE, {"minGroupSize": 4}, actor="test"),
        lambda: analytics.import_memberships(
            engine, STORE, "agent,team,valid_from,valid_to\nmailto:p1@example.com,audit,2026-01-01,\n",
            merge=True, actor="test"),
        lambda: analytics.set_opt_out(engine, STORE, agent("p2"), opted_out=True, actor="test"),
        # An opt-in keeps the past out; what follows it counts again.
        lambda: (analytics.set_opt_out(engine, STORE, agent("p2"), opted_out=False, actor="test"),
                 write(engine, [{"id": str(uuid.uuid4()), "actor": agent("p2"),
                                 "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
                                 "object": {"id": "https://events.example.com/w/0", "definition": {"type": WEBINAR}},
                                 "timestamp": "2026-07-03T09:00:00Z"}])),
    ]
    for step in steps:
        step()
        fold(runner)
        after = compare(engine, reuse)
        assert after != before, steps.index(step)  # each change shows in some answer, so a stale reuse would fail
        before = after
    runner.release()


def test_an_objection_applies_to_reused_facts_before_the_view_folds_it(engine: Engine, folded: Runner) -> None:
    """The objections in force are read from the live view for every answer; the
    reuse is keyed by them, so an answer never shows an objector's facts."""
    reuse = Reuse()
    write(engine, traffic(3, 60))
    fold(folded)
    compare(engine, reuse)
    with engine.connect() as conn:
        window = parse("2026-Q3", None, None, "UTC")
        kept = reuse.facts(conn, STORE, window, set(), queries.load)
        without = reuse.facts(conn, STORE, window, {"mbox:mailto:p3@example.com"}, queries.load)
        fresh = queries.load(conn, STORE, window, {"mbox:mailto:p3@example.com"})
    assert without is not kept
    assert answers(without, window) == answers(fresh, window)
    assert "mbox:mailto:p3@example.com" not in queries.network(without, window).active
    folded.release()


def test_an_erasure_is_never_answered_from_facts_read_before_it(engine: Engine, folded: Runner) -> None:
    """An erasure folds the views again from 0: passing through checkpoints seen
    before, with the person's statements redacted. Facts read before it are not
    reused, even at a checkpoint equal to theirs."""
    reuse = Reuse()
    write(engine, traffic(4, 60))
    fold(folded)
    with engine.connect() as conn:
        checkpoint = conn.exec_driver_sql(
            "SELECT position FROM projection_checkpoints WHERE name = 'social'").scalar_one()
    compare(engine, reuse)
    erasure.erase(engine, erasure.Request(STORE, agent("p5"), "test", {"operator": "t"}), b"k" * 32)
    view_erasure.reset_views(folded)
    folded.step("social", until=checkpoint)  # the view again at the checkpoint read before
    with engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT position FROM projection_checkpoints WHERE name = 'social'").scalar_one() == checkpoint
    hits = reuse.hits
    compare(engine, reuse)
    assert reuse.hits == hits + len(WINDOWS)  # the second reads only: the first were read afresh
    fold(folded)
    compare(engine, reuse)
    folded.release()


def test_facts_read_while_the_view_folded_are_not_kept(engine: Engine, folded: Runner) -> None:
    reuse = Reuse()
    write(engine, traffic(5, 40))
    fold(folded)
    window = parse("2026-Q3", None, None, "UTC")

    def load_while_folding(conn: Connection, store: str, w: Window | None, out: set[str]) -> Any:
        read = queries.load(conn, store, w, out)
        write(engine, traffic(6, 10))
        fold(folded)
        return read

    with engine.connect() as conn:
        reuse.facts(conn, STORE, window, set(), load_while_folding)
    # A new read sees the new checkpoint and reads again (on SQLite the first read
    # was one snapshot, kept as the facts of the checkpoint it saw; on PostgreSQL
    # its statements saw the fold land in between, and it was not kept).
    with engine.connect() as conn:
        reused = reuse.facts(conn, STORE, window, set(), queries.load)
        assert reuse.misses == 2 and reuse.hits == 0
        assert answers(reused, window) == answers(queries.load(conn, STORE, window, set()), window)
    folded.release()


def test_writes_to_another_store_leave_the_reuse_alone(engine: Engine, folded: Runner) -> None:
    """A store's facts are folded from its own events only: the view's checkpoint
    moving on with another store's events changes none of them."""
    reuse = Reuse()
    write(engine, traffic(7, 40))
    fold(folded)
    before = compare(engine, reuse)
    create_store(engine, "other")
    analytics.change_settings(engine, "other", {"minGroupSize": 7}, actor="test")
    analytics.set_opt_out(engine, "other", agent("p1"), opted_out=True, actor="test")
    fold(folded)
    misses = reuse.misses
    assert compare(engine, reuse) == before
    assert reuse.misses == misses  # every read reused
    # The store's own next event ends it.
    write(engine, traffic(8, 5))
    fold(folded)
    compare(engine, reuse)
    assert reuse.misses == misses + len(WINDOWS)
    folded.release()


def compare_patched(engine: Engine, reuse: Reuse) -> None:
    """Each window through ``reuse`` with patching (the route's read) = a fresh read."""
    from projections.social.delta import patch
    from projections.social.network import build, team_tallies, team_ties

    settings = analytics.current_settings(engine, STORE)
    with engine.connect() as conn:
        current = queries.opted_out(conn, STORE)
        for name, start, end in WINDOWS:
            window = parse(name, start, end, settings["timezone"])
            fresh = answers(queries.load(conn, STORE, window, current), window)
            patched = reuse.facts(conn, STORE, window, current, queries.load, patch)
            assert answers(patched, window) == fresh, (name, start, end)
            # The team work carried from the earlier network (projections.social.carry)
            # is what the network works out itself, beyond what answers round off.
            net = queries.network(patched, window)
            team_of = {agent: net.team(agent) for agent in sorted(net.active)}
            assert net.teams() == team_of
            assert net.co == build(patched, window.since if window else None, window.until if window else None).co
            assert net.tallies() == team_tallies(net, team_of)
            assert net.ties() == team_ties(net, team_of)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_patched_facts_answer_as_a_fresh_read_after_random_changes(engine: Engine, folded: Runner, seed: int) -> None:
    """After random statements, voids, objections and their withdrawal and
    membership changes, the facts kept at the last read brought forward by what
    changed since answer every question as a fresh read does."""
    rng = random.Random(seed)
    reuse = Reuse()
    # Half the people in a second team from late July: their team in a window then
    # follows their last moment in it, which new statements move.
    analytics.import_memberships(engine, STORE, "agent,team,valid_from,valid_to\n" + "".join(
        f"mailto:{name}@example.com,audit,2026-07-26,\n" for name in PEOPLE[::2]), merge=True, actor="test")
    written = traffic(seed, 40)
    write(engine, written)
    fold(folded)
    compare_patched(engine, reuse)

    def statements() -> None:
        batch = traffic(rng.randrange(1_000_000), rng.choice((1, 3, 10)))
        written.extend(batch)
        write(engine, batch)

    def newcomer() -> None:
        # Someone's only statement: voiding it takes them out of the window.
        statement = {"id": str(uuid.uuid4()), "actor": agent(f"new{len(written)}"),
                     "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
                     "object": {"id": "https://events.example.com/w/9", "definition": {"type": WEBINAR}},
                     "timestamp": f"2026-07-{rng.randint(1, 28):02d}T10:00:00Z"}
        written.append(statement)
        write(engine, [statement])

    def void() -> None:
        # The latest statements half the time: a fact opened at the last read's
        # position and closed after it.
        target = rng.choice(written[-2:] if rng.random() < 0.5 else written)
        write(engine, [{"id": str(uuid.uuid4()), "actor": agent("p0"),
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                        "object": {"objectType": "StatementRef", "id": target["id"]}}])

    def objection() -> None:
        analytics.set_opt_out(engine, STORE, agent(rng.choice(PEOPLE)), opted_out=rng.random() < 0.5, actor="test")

    def membership() -> None:
        person, team = rng.choice(PEOPLE), rng.choice([*TEAMS, "audit"])
        csv = f"agent,team,valid_from,valid_to\nmailto:{person}@example.com,{team},2026-07-0{rng.randint(1, 9)},\n"
        analytics.import_memberships(engine, STORE, csv, merge=rng.random() < 0.7, actor="test")

    def join() -> None:
        group = {"objectType": "Activity", "id": f"https://lms.example.com/groups/{rng.choice(TEAMS)}",
                 "definition": {"type": "http://activitystrea.ms/schema/1.0/group"}}
        verb = rng.choice(("http://activitystrea.ms/join", "http://activitystrea.ms/leave"))
        statement = {"id": str(uuid.uuid4()), "actor": agent(rng.choice(PEOPLE)), "verb": {"id": verb},
                     "object": group, "timestamp": f"2026-07-{rng.randint(1, 28):02d}T10:00:00Z"}
        written.append(statement)
        write(engine, [statement])

    for _ in range(16):
        for _ in range(rng.randint(1, 2)):
            rng.choices((statements, newcomer, void, objection, membership, join), weights=(5, 2, 3, 1, 1, 1))[0]()
        fold(folded)
        compare_patched(engine, reuse)
    assert reuse.patched > 0  # the patch ran, not only fresh reads
    folded.release()
