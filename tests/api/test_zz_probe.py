import json
from tests.api.conftest import statement


def test_probe(client, client2):
    def show(label, r):
        print(label, r.status_code, r.headers.get("content-type"), r.text[:300])

    show("limit sup2", client.get("/xapi/statements", params={"limit": "²"}))
    show("limit arabic", client.get("/xapi/statements", params={"limit": "١"}))
    show("since year1", client.get("/xapi/statements", params={"since": "0001-01-01T00:00:00+01:00"}))
    show("ts year1", client.post_statements(statement(timestamp="0001-01-01T00:00:00+01:00")))
    show("ts year9999", client.post_statements(statement(timestamp="9999-12-31T23:59:59-01:00")))
    deep = {}
    cur = deep
    for _ in range(300):
        cur["a"] = {}
        cur = cur["a"]
    s = statement(result={"extensions": {"http://ex.com/x": deep}})
    show("deep300", client.post_statements(s))
    body = json.dumps(statement(result={"extensions": {"http://ex.com/x": "\ud800"}}))
    show("lone surrogate v1", client.post("/xapi/statements", content=body, headers={"Content-Type": "application/json"}))
    show("lone surrogate v2", client2.post("/xapi/statements", content=body, headers={"Content-Type": "application/json"}))
    nested = "[" * 1000 + "]" * 1000
    show("nest1000 v2", client2.post("/xapi/statements", content=nested, headers={"Content-Type": "application/json"}))
    import base64
    tok = base64.urlsafe_b64encode(json.dumps({"after": "x", "bound": 1}).encode()).decode().rstrip("=")
    show("forged more", client.get("/xapi/statements", params={"more": tok}))
    tok = base64.urlsafe_b64encode(json.dumps({"after": 1, "bound": 1, "limit": "x"}).encode()).decode().rstrip("=")
    show("forged more2", client.get("/xapi/statements", params={"more": tok}))
    tok = base64.urlsafe_b64encode(json.dumps({"after": 1, "bound": 1, "agent": {"mbox": 5}}).encode()).decode().rstrip("=")
    show("forged more3", client.get("/xapi/statements", params={"more": tok}))
    show("head", client.head("/xapi/statements"))
    r = client.head("/xapi/statements")
    print("head content", r.content[:50])
    show("empty batch", client.post_statements([]))
    show("string", client.post_statements("hello"))
    show("options", client.options("/xapi/statements", auth=None, version=None, headers={"Origin": "http://other.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Authorization, X-Experience-API-Version, Content-Type, If-Match"}))
    r = client.get("/xapi/statements", headers={"Origin": "http://other.example", "Cookie": "a=b"})
    print(dict(r.headers))
    r = client.get("/xapi/statements", auth=None, headers={"Origin": "http://other.example"})
    print(r.status_code, dict(r.headers))
