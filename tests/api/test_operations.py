"""For operators: /health, /ready, /metrics, request ids and JSON logs."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
from dataclasses import replace

from fastapi.testclient import TestClient

from api.app import create_app
from api.observe import new_request_id
from lrs.credentials import bootstrap
from tests.api.conftest import KEY, SECRET, XapiClient, basic, statement


def test_health_answers_without_credentials(http):
    response = http.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_checks_the_database_migrations_and_views(client, http):
    response = http.get("/ready")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert set(checks["views"]) >= {"progress"}


def test_ready_is_503_while_a_view_lags_too_far(settings, engine):
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    app = create_app(replace(settings, ready_max_lag=0, projections_in_process=False), engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        assert XapiClient(http).post_statements(statement()).status_code == 200
        response = http.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["views"]["progress"]["ok"] is False


def test_metrics_need_an_admin_credential_or_the_token(settings, engine, make_client):
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    app = create_app(replace(settings, metrics_token="scrape-me-4f2c9"), engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        client = XapiClient(http)
        assert client.post_statements([statement(), statement()]).status_code == 200
        assert http.get("/metrics").status_code == 401
        reader = XapiClient(http, auth=basic(*_reader(engine, settings)))
        assert reader.get("/metrics").status_code == 403
        as_admin = client.get("/metrics")
        assert as_admin.status_code == 200, as_admin.text
        scraped = http.get("/metrics", headers={"Authorization": "Bearer scrape-me-4f2c9"})
        assert scraped.status_code == 200
        assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    text = scraped.text
    assert "lrs_statements_written_total 2.0" in text
    assert 'lrs_http_requests_total{method="POST",route="/xapi/statements",status="200"} 1.0' in text
    assert "lrs_log_head_position" in text and 'lrs_projection_lag_events{view="progress"}' in text
    assert "lrs_group_commit_requests_count" in text


def _reader(engine, settings):  # type: ignore[no-untyped-def]
    from lrs.credentials import create_credential

    credential, secret = create_credential(
        engine, scopes=("statements/read",), public_url=settings.public_url
    )
    return credential.key, secret


def test_every_answer_carries_a_request_id(client):
    first, second = client.get("/xapi/statements"), client.get("/xapi/statements")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    # A caller's own id is kept (when it is a plain token), so logs line up.
    sent = client.get("/xapi/statements", headers={"X-Request-ID": "trace-42.a_b"})
    assert sent.headers["X-Request-ID"] == "trace-42.a_b"
    odd = client.get("/xapi/statements", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>"


def test_a_500_names_the_request_id_of_its_answer(settings, engine, monkeypatch):
    from lrs import statements as service

    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    monkeypatch.setattr(service, "query", lambda *a, **k: 1 / 0)
    with TestClient(create_app(settings, engine), base_url="http://lrs.test", raise_server_exceptions=False) as http:
        response = XapiClient(http).get("/xapi/statements")
    assert response.status_code == 500
    assert response.json()["requestId"] == response.headers["X-Request-ID"]


def test_json_logs_carry_the_request_id(settings):
    from cli.main import logging_config

    config = logging_config(replace(settings, log_format="json"))
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    del config["handlers"]["stderr"]["stream"]
    logging.config.dictConfig(config)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger("lrs").handlers[0].formatter)
    logger = logging.getLogger("lrs.test-json")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("something happened", extra={"request_id": "abc123"})
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "something happened"
    assert line["request_id"] == "abc123" and line["level"] == "WARNING"
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})


def test_request_ids_are_unique_within_a_process_and_across_forked_ones():
    # Logs of several server processes are read side by side: an id names one
    # request. A forked worker draws its own prefix (the counter alone would repeat).
    mine = [new_request_id() for _ in range(1000)]
    assert len(set(mine)) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in mine)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its first id and leave at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    theirs = os.read(read, 64).decode()
    os.close(read)
    assert len(theirs) == 32 and theirs[:16] != mine[0][:16]
