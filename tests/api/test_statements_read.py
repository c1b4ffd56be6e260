"""GET /xapi/statements: single statements, filters, order, limit and formats.

Communication 2.1.3 (parameters and the StatementRef rule, 2.1.3.s3; language
filtering, 2.1.3.s4) and Data 2.5 (StatementResult).
"""

from __future__ import annotations

from datetime import timedelta, timezone

from tests.api.conftest import KEY, statement
from tests.api.helpers import (
    ATTEMPTED,
    COMPLETED,
    STATEMENTS,
    activity,
    activity_id,
    agent,
    get_statement,
    mbox,
    new_id,
    parse_iso,
    post_ok,
    post_one,
    query,
    query_ids,
    ref,
)

CONFIRMED = "http://example.com/verbs/confirmed"


def _by(client, who: str, **overrides) -> str:  # type: ignore[no-untyped-def]
    return post_one(client, statement(actor=agent(who), **overrides))


def _anonymous_group(*names: str) -> dict:
    return {"objectType": "Group", "name": "Pair", "member": [agent(n) for n in names]}


# --------------------------------------------------------------- one statement


def test_get_by_statement_id_returns_the_statement_as_sent(client):
    sent = statement(
        id=new_id(),
        context={"registration": new_id(), "contextActivities": {"parent": [activity("p")]}},
        result={"score": {"scaled": 0.5}, "success": True, "duration": "PT1M2.5S"},
    )
    post_one(client, sent)
    got = get_statement(client, sent["id"])
    for key, value in sent.items():
        assert got[key] == value, key
    assert set(got) == set(sent) | {"stored", "timestamp", "authority", "version"}
    # UUIDs compare case-insensitively (RFC 4122 3).
    assert get_statement(client, sent["id"].upper())["id"] == sent["id"]


def test_get_by_an_unknown_statement_id_is_404(client):
    post_one(client, statement())
    response = client.get(STATEMENTS, params={"statementId": new_id()})
    assert response.status_code == 404


# --------------------------------------------------------------------- filters


def test_agent_filter_matches_the_actor_or_an_agent_object(client):
    as_actor = _by(client, "ann")
    as_object = _by(client, "bob", object=agent("ann"))
    _by(client, "bob")
    assert set(query_ids(client, agent=mbox("ann"))) == {as_actor, as_object}


def test_agent_filter_matches_groups_that_have_the_agent_as_member(client):
    anonymous = post_one(client, statement(actor=_anonymous_group("ann", "bob")))
    identified = post_one(
        client,
        statement(actor={"objectType": "Group", "mbox": "mailto:team@example.com",
                         "member": [agent("ann")]}),
    )
    as_object = _by(client, "carl", object=_anonymous_group("dan", "ann"))
    _by(client, "carl", object=_anonymous_group("dan", "eve"))
    assert set(query_ids(client, agent=mbox("ann"))) == {anonymous, identified, as_object}
    assert query_ids(client, agent={"objectType": "Group", "mbox": "mailto:team@example.com"}) \
        == [identified]


def test_agent_filter_ignores_context_authority_and_substatements_without_related_agents(client):
    sub = {"objectType": "SubStatement", "actor": agent("ann"), "verb": {"id": COMPLETED},
           "object": activity("sub")}
    _by(client, "bob", context={"instructor": agent("ann")})
    _by(client, "bob", object=sub)
    assert query_ids(client, agent=mbox("ann")) == []
    authority = {"account": {"homePage": "http://lrs.test", "name": KEY}}
    assert query_ids(client, agent=authority) == []


def test_related_agents_match_authority_instructor_team_and_substatements(client):
    sub = {"objectType": "SubStatement", "actor": agent("carl"), "verb": {"id": COMPLETED},
           "object": agent("ann"), "context": {"instructor": agent("dan")}}
    instructor = _by(client, "bob", context={"instructor": agent("ann")})
    team = _by(client, "bob", context={"team": _anonymous_group("ann", "eve")})
    in_sub = _by(client, "bob", object=sub)
    in_sub_context = _by(client, "bob", object={**sub, "object": activity("x")},
                         context={"instructor": agent("fay")})
    sub_instructor = {**sub, "object": activity("y"), "context": {"instructor": agent("ann")}}
    in_sub_instructor = _by(client, "bob", object=sub_instructor)
    _by(client, "bob")
    assert set(query_ids(client, agent=mbox("ann"), related_agents="true")) == {
        instructor, team, in_sub, in_sub_instructor,
    }
    assert in_sub_context in query_ids(client, agent=mbox("fay"), related_agents="true")
    authority = {"account": {"homePage": "http://lrs.test", "name": KEY}}
    assert len(query_ids(client, agent=authority, related_agents="true")) == 6


def test_related_agents_match_context_agents_and_groups_in_2_0(client2):
    with_agent = _by(client2, "bob", context={"contextAgents": [
        {"objectType": "contextAgent", "agent": agent("ann"),
         "relevantTypes": ["http://example.com/types/mentor"]}]})
    with_group = _by(client2, "bob", context={"contextGroups": [
        {"objectType": "contextGroup", "group": _anonymous_group("eve", "ann")}]})
    _by(client2, "bob")
    assert query_ids(client2, agent=mbox("ann")) == []
    assert set(query_ids(client2, agent=mbox("ann"), related_agents="true")) == {
        with_agent, with_group,
    }


def test_verb_filter_matches_the_verb_id(client):
    completed = _by(client, "ann")
    _by(client, "ann", verb={"id": ATTEMPTED})
    assert query_ids(client, verb=COMPLETED) == [completed]


def test_activity_filter_matches_the_object_only(client):
    sub = {"objectType": "SubStatement", "actor": agent("ann"), "verb": {"id": COMPLETED},
           "object": activity("x")}
    direct = _by(client, "ann", object=activity("x"))
    _by(client, "ann", object=activity("y"), context={"contextActivities": {"parent": [activity("x")]}})
    _by(client, "ann", object=sub)
    assert query_ids(client, activity=activity_id("x")) == [direct]


def test_related_activities_match_context_activities_and_substatements(client):
    def in_context(kind: str) -> str:
        return _by(client, "ann", object=activity("y"),
                   context={"contextActivities": {kind: [activity("x")]}})

    sub = {"objectType": "SubStatement", "actor": agent("ann"), "verb": {"id": COMPLETED},
           "object": activity("x")}
    sub_context = {**sub, "object": activity("z"),
                   "context": {"contextActivities": {"grouping": [activity("x")]}}}
    direct = _by(client, "ann", object=activity("x"))
    kinds = [in_context(kind) for kind in ("parent", "grouping", "category", "other")]
    in_sub = _by(client, "ann", object=sub)
    in_sub_context = _by(client, "ann", object=sub_context)
    _by(client, "ann", object=activity("y"))
    assert set(query_ids(client, activity=activity_id("x"), related_activities="true")) == {
        direct, *kinds, in_sub, in_sub_context,
    }


def test_registration_filter_matches_the_context_registration(client):
    registration = new_id()
    match = _by(client, "ann", context={"registration": registration})
    _by(client, "ann", context={"registration": new_id()})
    _by(client, "ann")
    assert query_ids(client, registration=registration) == [match]
    assert query_ids(client, registration=registration.upper()) == [match]


def _stored(client, statement_id: str) -> str:  # type: ignore[no-untyped-def]
    return get_statement(client, statement_id)["stored"]


def _in_another_zone(stored: str) -> str:
    shifted = parse_iso(stored).astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert not shifted.endswith(("Z", "+00:00"))
    return shifted


def test_since_is_exclusive(client):
    first, second, third = (_by(client, name) for name in ("ann", "bob", "carl"))
    assert query_ids(client, since=_stored(client, second)) == [third]
    assert query_ids(client, since=_stored(client, first)) == [third, second]
    assert query_ids(client, since=_in_another_zone(_stored(client, second))) == [third]


def test_until_is_inclusive(client):
    first, second, _ = (_by(client, name) for name in ("ann", "bob", "carl"))
    assert query_ids(client, until=_stored(client, second)) == [second, first]
    assert query_ids(client, until=_in_another_zone(_stored(client, second))) == [second, first]


def test_results_are_newest_first_unless_ascending(client):
    ids = [_by(client, name) for name in ("ann", "bob", "carl")]
    assert query_ids(client) == ids[::-1]
    assert query_ids(client, ascending="false") == ids[::-1]
    assert query_ids(client, ascending="true") == ids


def test_limit_caps_the_page(client):
    ids = [_by(client, name) for name in ("ann", "bob", "carl")]
    result = query(client, limit="2")
    assert [s["id"] for s in result["statements"]] == ids[:0:-1]
    assert result["more"]


def test_limit_zero_means_the_server_maximum(client):
    post_ok(client, [statement() for _ in range(55)])
    for params in ({"limit": "0"}, {}, {"limit": "1000"}):
        result = query(client, **params)
        assert len(result["statements"]) == 50, params  # the fixture's page maximum
        assert result["more"], params


def test_combined_filters_must_all_match(client):
    match = _by(client, "ann", object=activity("x"))
    _by(client, "ann", object=activity("x"), verb={"id": ATTEMPTED})
    _by(client, "bob", object=activity("x"))
    _by(client, "ann", object=activity("y"))
    assert query_ids(client, agent=mbox("ann"), verb=COMPLETED, activity=activity_id("x")) == [match]


# ---------------------------------------------------------- StatementRef rule


def test_a_statement_targeting_a_matching_statement_matches_too(client):
    registration = new_id()
    target = _by(client, "ann", object=activity("x"), context={"registration": registration})
    referrer = _by(client, "bob", verb={"id": CONFIRMED}, object=ref(target))
    _by(client, "bob", verb={"id": CONFIRMED}, object=activity("y"))
    expected = {target, referrer}
    assert set(query_ids(client, agent=mbox("ann"))) == expected
    assert set(query_ids(client, activity=activity_id("x"))) == expected
    assert set(query_ids(client, verb=COMPLETED)) == expected
    assert set(query_ids(client, registration=registration)) == expected


def test_the_statement_ref_rule_applies_recursively(client):
    target = _by(client, "ann")
    middle = _by(client, "bob", verb={"id": CONFIRMED}, object=ref(target))
    outer = _by(client, "carl", verb={"id": CONFIRMED}, object=ref(middle))
    assert query_ids(client, agent=mbox("ann")) == [outer, middle, target]


def test_time_and_limit_apply_to_the_targeting_statement(client):
    target = _by(client, "ann")
    middle = _by(client, "bob", verb={"id": CONFIRMED}, object=ref(target))
    outer = _by(client, "carl", verb={"id": CONFIRMED}, object=ref(target))
    stored = _stored(client, target)
    assert query_ids(client, agent=mbox("ann"), since=stored) == [outer, middle]
    assert query_ids(client, agent=mbox("ann"), until=stored) == [target]
    assert query_ids(client, agent=mbox("ann"), limit="1") == [outer]


def test_a_statement_ref_in_context_does_not_make_a_match(client):
    target = _by(client, "ann")
    _by(client, "bob", object=activity("y"), context={"statement": ref(target)})
    assert query_ids(client, agent=mbox("ann")) == [target]


def test_statements_stored_before_their_target_match_once_it_arrives(client):
    target_id, middle_id = new_id(), new_id()
    outer = _by(client, "carl", verb={"id": CONFIRMED}, object=ref(middle_id))
    _by(client, "bob", id=middle_id, verb={"id": CONFIRMED}, object=ref(target_id))
    assert query_ids(client, agent=mbox("ann")) == []
    _by(client, "ann", id=target_id)
    assert set(query_ids(client, agent=mbox("ann"))) == {target_id, middle_id, outer}


# --------------------------------------------------------------------- formats


def _rich_statement() -> dict:
    return statement(
        actor=agent("ann"),
        verb={"id": COMPLETED, "display": {"en-US": "completed"}},
        object=activity("x", name={"en-US": "X"}, type="http://example.com/types/course"),
        context={
            "instructor": agent("teacher"),
            "team": _anonymous_group("bob", "carl"),
            "contextActivities": {"parent": [activity("p", name={"en-US": "P"})]},
        },
    )


def test_format_ids_keeps_only_identifiers(client):
    statement_id = post_one(client, _rich_statement())
    for got in (
        query(client, format="ids")["statements"][0],
        get_statement(client, statement_id, format="ids"),
    ):
        assert got["actor"] == {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
        assert got["verb"] == {"id": COMPLETED}
        assert got["object"] == {"objectType": "Activity", "id": activity_id("x")}
        assert got["context"]["instructor"] == {
            "objectType": "Agent", "mbox": "mailto:teacher@example.com",
        }
        assert got["context"]["contextActivities"]["parent"] == [
            {"objectType": "Activity", "id": activity_id("p")}
        ]
        assert "name" not in got["authority"]
        assert got["authority"]["account"] == {"homePage": "http://lrs.test", "name": KEY}


def test_format_ids_keeps_anonymous_group_members_minimal(client):
    post_one(client, statement(actor=_anonymous_group("ann", "bob")))
    got = query(client, format="ids")["statements"][0]
    assert got["actor"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "mbox": "mailto:ann@example.com"},
            {"objectType": "Agent", "mbox": "mailto:bob@example.com"},
        ],
    }


def test_format_exact_returns_objects_as_they_were_received(client):
    old = post_one(client, statement(object=activity("x", name={"en-US": "Old"})))
    new = post_one(client, statement(object=activity("x", name={"en-US": "New"})))
    by_id = {s["id"]: s for s in query(client, format="exact")["statements"]}
    assert by_id[old]["object"]["definition"] == {"name": {"en-US": "Old"}}
    assert by_id[new]["object"]["definition"] == {"name": {"en-US": "New"}}
    assert get_statement(client, old)["object"]["definition"] == {"name": {"en-US": "Old"}}


def test_format_canonical_returns_the_lrs_canonical_definition(client):
    old = post_one(client, statement(object=activity("x", name={"en-US": "Old"})))
    post_one(client, statement(object=activity("x", name={"en-US": "New"})))
    for got in (
        get_statement(client, old, format="canonical"),
        next(s for s in query(client, format="canonical")["statements"] if s["id"] == old),
    ):
        assert got["object"]["definition"]["name"] == {"en-US": "New"}


def _bilingual() -> dict:
    return statement(
        actor=agent("ann"),
        verb={"id": COMPLETED, "display": {"en-US": "completed", "fr-FR": "a terminé"}},
        object=activity(
            "x",
            name={"en-US": "Course", "fr-FR": "Cours"},
            description={"en-US": "A course", "fr-FR": "Un cours"},
            interactionType="choice",
            choices=[{"id": "a", "description": {"en-US": "Yes", "fr-FR": "Oui"}}],
        ),
        context={"contextActivities": {"parent": [
            activity("p", name={"en-US": "Parent", "fr-FR": "Parent FR"})]}},
    )


def test_format_canonical_keeps_one_language_chosen_by_accept_language(client):
    statement_id = post_one(client, _bilingual())
    for header, tag in (("fr-FR, en;q=0.5", "fr-FR"), ("en", "en-US"), ("de, fr;q=0.8", "fr-FR")):
        got = query(client, headers={"Accept-Language": header}, format="canonical")["statements"][0]
        definition = got["object"]["definition"]
        assert list(definition["name"]) == [tag], header
        assert list(definition["description"]) == [tag], header
        assert list(definition["choices"][0]["description"]) == [tag], header
        assert list(got["verb"]["display"]) == [tag], header
        parent = got["context"]["contextActivities"]["parent"][0]
        assert list(parent["definition"]["name"]) == [tag], header
        assert got["actor"] == agent("ann")  # Agents stay exact
    one = client.get(
        STATEMENTS, params={"statementId": statement_id, "format": "canonical"},
        headers={"Accept-Language": "fr-FR"},
    )
    assert one.status_code == 200
    assert one.json()["object"]["definition"]["name"] == {"fr-FR": "Cours"}
    assert one.json()["verb"]["display"] == {"fr-FR": "a terminé"}


# ------------------------------------------------------------------------ HEAD


def test_head_answers_like_get_without_a_body(client):
    statement_id = _by(client, "ann")
    for params in ({}, {"statementId": statement_id}, {"agent": '{"mbox": "mailto:ann@example.com"}'}):
        got = client.get(STATEMENTS, params=params)
        head = client.head(STATEMENTS, params=params)
        assert head.status_code == got.status_code == 200, params
        assert head.content == b"", params
        for name in ("content-type", "x-experience-api-version", "last-modified"):
            assert head.headers.get(name) == got.headers.get(name), (params, name)
        assert "x-experience-api-consistent-through" in head.headers
    assert client.head(STATEMENTS, params={"statementId": new_id()}).status_code == 404
    assert client.head(STATEMENTS, params={"Verb": COMPLETED}).status_code == 400
