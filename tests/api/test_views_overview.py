"""`/views/overview` (the store at a glance, from the statement index, as of any
position), `/views` (which views this server answers), `/views/me` and
`/views/me/progress` (a credential's own learner): on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from lrs.config import Settings
from lrs.credentials import create_credential, create_store
from projections.registry import all_projections
from tests.api.conftest import XapiClient, basic
from tests.progress_helpers import ANN, BOB, COURSE, MODULE_1, MODULE_2, learner_statement, voiding

OVERVIEW = "/views/overview"
CY = {"objectType": "Agent", "name": "Cy", "mbox": "mailto:cy@example.com"}
TEAM = {"objectType": "Group", "name": "Team", "member": [
    {"objectType": "Agent", "mbox": "mailto:dee@example.com"},
    {"objectType": "Agent", "mbox": "mailto:eve@example.com"},
]}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=db_url, public_url="http://lrs.test",
        statements_page_max=50, max_statements_per_request=200, max_body_bytes=2_000_000,
        auth_cache_seconds=300, projections_in_process=True, view_wait_seconds=5.0,
    )


def _post(client: XapiClient, statements: list[dict[str, Any]]) -> int:
    response = client.post_statements(statements)
    assert response.status_code == 200, response.text
    return int(response.headers["X-LRS-Position"])


def _get(client: XapiClient, path: str = OVERVIEW, status: int = 200, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    return response.json()


def _now(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return learner_statement(*args, at=datetime.now(UTC), **kwargs)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_counts_days_learners_and_the_latest(client: XapiClient) -> None:
    first = _post(client, [_now(ANN, "attempted", MODULE_1), _now(BOB, "attempted", MODULE_1)])
    # An Agent as the object counts as a learner; a Group's members one by one.
    mentor = {
        "actor": CY, "verb": {"id": "http://example.com/verbs/mentored"},
        "object": {"objectType": "Agent", "mbox": "mailto:fay@example.com"},
    }
    last = _post(client, [mentor, _now(TEAM, "completed", MODULE_2)])
    body = _get(client, days=7, latest=3)
    response = client.get(OVERVIEW)
    assert body["position"] == last == int(response.headers["X-LRS-Position"])
    assert body["totals"] == {"statements": 4, "learners": 6}  # Ann Bob Cy Fay Dee Eve
    assert body["window"] == {
        "since": body["days"][0]["date"], "until": _today(), "statements": 4, "learners": 6,
    }
    assert len(body["days"]) == 7 and body["days"][-1] == {"date": _today(), "statements": 4, "learners": 6}
    assert all(d["statements"] == 0 and d["learners"] == 0 for d in body["days"][:-1])
    latest = body["latest"]
    assert [s["verb"]["id"] for s in latest] == [
        "http://adlnet.gov/expapi/verbs/completed", "http://example.com/verbs/mentored",
        "http://adlnet.gov/expapi/verbs/attempted",
    ]
    assert latest[0]["position"] == last and latest[0]["actor"]["name"] == "Team"
    assert latest[1]["object"] == {"objectType": "Agent", "mbox": "mailto:fay@example.com"}
    assert latest[2]["object"] == {"objectType": "Activity", "id": MODULE_1}
    assert latest[2]["position"] < first or latest[2]["position"] == first
    assert latest[0]["stored"].endswith("Z") and body["asOf"].endswith("Z")
    assert _get(client, latest=0)["latest"] == []


def test_voiding_and_as_of(client: XapiClient) -> None:
    kept, gone = _now(ANN, "attempted", MODULE_1), _now(BOB, "attempted", MODULE_1)
    before = _post(client, [kept, gone])
    voided_at = _post(client, [voiding(gone["id"])])
    now = _get(client)
    # The voiding statement stands (it is a statement); Bob's does not, and the
    # voiding (about Bob's statement) does not make Bob a learner again.
    assert now["totals"] == {"statements": 2, "learners": 1}
    assert {s["id"] for s in now["latest"]} == {kept["id"], now["latest"][0]["id"]}
    then = _get(client, asOf=before)
    assert then["position"] == before
    assert then["totals"] == {"statements": 2, "learners": 2}
    assert {s["id"] for s in then["latest"]} == {kept["id"], gone["id"]}
    assert _get(client, asOf=voided_at)["totals"]["statements"] == 2
    # As of a moment: the store as it stood then, the window ending then.
    at_start = _get(client, asOf="2000-01-01T00:00:00Z")
    assert at_start["totals"] == {"statements": 0, "learners": 0}
    assert at_start["window"]["until"] == "2000-01-01" and at_start["asOf"] == "2000-01-01T00:00:00.000000Z"
    future = _get(client, asOf="2999-01-01T00:00:00Z")
    assert future["position"] == now["position"] and future["window"]["until"] == _today()
    assert _get(client, minPosition=voided_at)["position"] >= voided_at


def test_since_and_until_choose_the_days(client: XapiClient) -> None:
    _post(client, [_now(ANN, "attempted", MODULE_1)])
    body = _get(client, since="2026-01-01T00:00:00Z", until="2026-01-04T00:00:00Z")
    assert [d["date"] for d in body["days"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert body["window"]["statements"] == 0 and body["totals"]["statements"] == 1


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"days": "0"}, "days"), ({"days": "367"}, "days"), ({"days": "many"}, "days"),
        ({"latest": "-1"}, "latest"), ({"latest": "101"}, "latest"),
        ({"asOf": "last week"}, "asOf"), ({"asOf": "999999999"}, "asOf"),
        ({"since": "2020-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "2026-02-01"}, "since"), ({"agent": "{}"}, "agent"),
    ],
)
def test_bad_parameters_are_400(client: XapiClient, params: dict[str, str], named: str) -> None:
    response = client.get(OVERVIEW, params=params)
    assert response.status_code == 400, response.text
    assert named in response.json()["message"]


def test_a_position_not_written_yet_is_503(client: XapiClient) -> None:
    head = _post(client, [_now(ANN, "attempted", MODULE_1)])
    response = client.get(OVERVIEW, params={"minPosition": head + 5})
    assert response.status_code == 503 and str(head + 5) in response.json()["message"]


def test_scopes_and_stores(make_client: Any, client: XapiClient, engine: Engine) -> None:
    _post(client, [_now(ANN, "attempted", MODULE_1)])
    for scopes in (("statements/read",), ("all/read",), ("all",)):
        assert _get(make_client(scopes=scopes))["totals"]["statements"] == 1
    for scopes in (("statements/read/mine",), ("statements/write",), ("state",)):
        assert make_client(scopes=scopes).get(OVERVIEW).status_code == 403
    assert client.get(OVERVIEW, auth=None).status_code == 401
    create_store(engine, "other")
    outsider = make_client(scopes=("all",), store_id="other")
    assert _get(outsider)["totals"] == {"statements": 0, "learners": 0}
    assert _get(outsider)["latest"] == []


def test_views_lists_what_this_server_answers(make_client: Any) -> None:
    learner = make_client(scopes=("statements/read/mine",))
    body = _get(learner, "/views")
    # The overview, then every registered view with the position it has folded to.
    registered = sorted(p.name for p in all_projections())
    assert [v["name"] for v in body["views"]] == ["overview", *registered]
    for view in body["views"][1:]:
        assert view["path"] == f"/views/{view['name']}" and isinstance(view["position"], int)
    assert learner.get("/views", params={"x": "1"}).status_code == 400
    assert learner.get("/views", auth=None).status_code == 401


def test_me_and_my_progress(http: Any, engine: Engine, settings: Settings, client: XapiClient) -> None:
    credential, secret = create_credential(
        engine, store_id="default", scopes=("statements/write", "statements/read/mine"),
        label="Dana", public_url=settings.public_url,
    )
    dana = XapiClient(http, "1.0.3", basic(credential.key, secret))
    me = _get(dana, "/views/me")
    learner = {"objectType": "Agent", "name": "Dana", "account": {"homePage": "http://lrs.test", "name": credential.key}}
    assert me == {
        "store": "default", "label": "Dana", "scopes": ["statements/read/mine", "statements/write"],
        "authority": learner, "learner": learner,
    }
    empty = _get(dana, "/views/me/progress")
    assert (empty["learner"], empty["activities"]) == (learner, [])
    _post(client, [_now(ANN, "completed", MODULE_2, result={"completion": True})])
    last = _post(dana, [_now(learner, "attempted", MODULE_1), _now(learner, "completed", MODULE_1, result={"completion": True})])
    mine = _get(dana, "/views/me/progress", minPosition=last)
    by_id = {a["activityId"]: a for a in mine["activities"]}
    assert by_id[MODULE_1]["status"] == "completed"
    assert set(by_id) <= {MODULE_1, COURSE}  # never Ann's module 2
    assert _get(dana, "/views/me/progress", asOf=0)["activities"] == []
    assert dana.get("/views/me/progress", params={"agent": json.dumps({"mbox": ANN["mbox"]})}).status_code == 400
    assert make_client_denied(http, engine, settings).get("/views/me/progress").status_code == 403


def make_client_denied(http: Any, engine: Engine, settings: Settings) -> XapiClient:
    credential, secret = create_credential(
        engine, store_id="default", scopes=("statements/write",), public_url=settings.public_url
    )
    return XapiClient(http, "1.0.3", basic(credential.key, secret))


def test_a_tokens_user_is_its_learner() -> None:
    from api.viewing import credential_learner
    from lrs.tokens import credential_from_claims

    claims = {"iss": "https://id.example", "sub": "u-17", "azp": "lms", "name": "Gus"}
    credential = credential_from_claims(claims, Settings(data_dir=Path("/tmp"), database_url="sqlite://"))
    assert credential_learner(credential) == {
        "objectType": "Agent", "account": {"homePage": "https://id.example", "name": "u-17"}, "name": "Gus",
    }
    own = credential_from_claims({"iss": "https://id.example", "sub": "lms"}, Settings(data_dir=Path("/tmp"), database_url="sqlite://"))
    assert credential_learner(own) == own.authority


# A statement, or the voiding of an earlier one (by index), as the property's steps.
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("statement"), st.sampled_from([ANN, BOB, CY, TEAM])),
        st.tuples(st.just("void"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1, max_size=12,
)


@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_as_of_any_position_counts_what_then_stood(make_client: Any, engine: Engine, steps: list[Any]) -> None:
    # Each example in a store of its own; the model: a statement stands at P when it
    # was stored at or before P and no voiding at or before P withdrew it.
    store = f"s{abs(hash(json.dumps(steps, sort_keys=True, default=str))) % 10**12}"
    create_store(engine, store)
    client = make_client(scopes=("all",), store_id=store)
    written: list[tuple[int, str, dict[str, Any] | None, str | None]] = []  # position, id, actor, voids
    for kind, value in steps:
        if kind == "statement":
            statement = _now(value, "attempted", MODULE_1)
            written.append((_post(client, [statement]), statement["id"], value, None))
        else:
            targets = [w for w in written if w[3] is None]
            if not targets:
                continue
            target = targets[value % len(targets)]
            statement = voiding(target[1])
            response = client.post_statements([statement])
            if response.status_code == 200:  # an already voided target may be voided again
                written.append((int(response.headers["X-LRS-Position"]), statement["id"], ANN, target[1]))
    for position, *_ in written:
        voided = {w[3] for w in written if w[3] is not None and w[0] <= position}
        standing = [w for w in written if w[0] <= position and w[1] not in voided]
        learners = set()
        for w in standing:
            if w[3] is not None:
                continue  # a voiding is about another statement's learner
            actor = w[2] or {}
            members = actor.get("member") or [actor]
            learners.update(json.dumps(m.get("mbox") or m["account"], sort_keys=True) for m in members)
        body = _get(client, asOf=position)
        assert body["totals"] == {"statements": len(standing), "learners": len(learners)}
        assert [s["id"] for s in body["latest"]] == [w[1] for w in sorted(standing, reverse=True)][:10]


def test_the_voiding_look_up_of_an_as_of_count_uses_its_index(sqlite_url: str) -> None:
    """Whether a voided statement still stood at a position is one index look-up. SQLite
    without table statistics once chose the (store, position) index for it: a scan of
    the store per voided statement, 18 s for the overview of 100,000 statements
    (python -m bench.dashboard); 0.4 s with this plan."""
    from sqlalchemy import func, select

    from lrs import overview
    from lrs.db import make_engine
    from lrs.migrate import upgrade
    from lrs.schema import statements

    engine = make_engine(sqlite_url)
    upgrade(engine)
    query = select(func.count()).select_from(statements).where(overview._standing("default", 1000))
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    engine.dispose()
    assert "voider USING INDEX ix_statements_store_voids" in plan, plan
