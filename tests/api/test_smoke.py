from tests.api.conftest import statement


def test_a_posted_statement_comes_back(client):
    posted = client.post_statements(statement())
    assert posted.status_code == 200, posted.text
    (statement_id,) = posted.json()
    got = client.get("/xapi/statements", params={"statementId": statement_id})
    assert got.status_code == 200
    assert got.json()["id"] == statement_id
    assert got.headers["X-Experience-API-Version"] == "1.0.3"
