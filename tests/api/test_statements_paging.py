"""StatementResult and its "more" link (Data 2.5; Communication 2.1.3.s2.b4)."""

from __future__ import annotations

from tests.api.conftest import statement
from tests.api.helpers import STATEMENTS, activity, agent, mbox, post_ok, post_one, query

MORE_PREFIX = "/xapi/statements?more="


def _post_each(client, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Separate requests, so each statement has its own stored time."""
    return [post_one(client, statement(actor=agent(f"learner{i}"))) for i in range(count)]


def _follow(client, more: str) -> dict:  # type: ignore[no-untyped-def]
    assert more.startswith(MORE_PREFIX), more
    response = client.get(more)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_empty_result_is_200_with_no_statements_and_no_more(client):
    post_one(client, statement(actor=agent("ann")))
    response = client.get(STATEMENTS, params={"agent": '{"mbox": "mailto:nobody@example.com"}'})
    assert response.status_code == 200
    assert response.json() == {"statements": [], "more": ""}


def test_more_is_an_absolute_path_that_returns_the_next_page(client):
    ids = _post_each(client, 5)
    newest_first = ids[::-1]
    page = query(client, limit="2")
    seen = [s["id"] for s in page["statements"]]
    assert seen == newest_first[:2]
    while page["more"]:
        assert page["more"].startswith(MORE_PREFIX)
        page = _follow(client, page["more"])
        seen += [s["id"] for s in page["statements"]]
    assert seen == newest_first


def test_the_last_page_has_an_empty_more(client):
    ids = _post_each(client, 4)
    page = _follow(client, query(client, limit="2")["more"])
    assert [s["id"] for s in page["statements"]] == ids[1::-1]
    assert page["more"] == ""
    assert query(client, limit="4")["more"] == ""


def test_pages_do_not_change_while_new_statements_arrive(client):
    ids = _post_each(client, 4)
    newest = query(client, limit="2")
    oldest = query(client, limit="2", ascending="true")
    later = _post_each(client, 3)
    page = _follow(client, newest["more"])
    assert [s["id"] for s in page["statements"]] == ids[1::-1]
    assert page["more"] == ""
    page = _follow(client, oldest["more"])
    assert [s["id"] for s in page["statements"]] == ids[2:]
    assert page["more"] == ""
    assert set(later).isdisjoint(s["id"] for s in page["statements"])


def test_more_keeps_the_filters_and_the_format(client):
    wanted = [post_one(client, statement(actor=agent("ann"), object=activity(f"a{i}")))
              for i in range(3)]
    post_ok(client, [statement(actor=agent("bob")) for _ in range(3)])
    page = query(client, agent=mbox("ann"), format="ids", limit="1")
    seen = []
    while True:
        assert len(page["statements"]) <= 1
        for got in page["statements"]:
            assert got["actor"] == {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
            assert "definition" not in got["object"]
            seen.append(got["id"])
        if not page["more"]:
            break
        page = _follow(client, page["more"])
    assert seen == wanted[::-1]

