"""A real `lrs serve` signing checkpoints on its schedule and streaming its export."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lrs.audit.checkpoints import Checker
from lrs.audit.offline import verify_export
from tests.e2e.conftest import KEY, SECRET, start_server, stop_server


def test_serve_signs_on_schedule_and_streams_a_verifiable_export(db_url: str, tmp_path: Path):
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "checkpoint.pem"
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    server = start_server(db_url, tmp_path, LRS_CHECKPOINT_KEY_FILE=str(key_file),
                          LRS_CHECKPOINT_INTERVAL_SECONDS="0.3")
    auth = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    base = server.endpoint.removesuffix("xapi/")
    try:
        with httpx.Client(base_url=base, headers={"Authorization": auth}, timeout=30) as http:
            statement = {
                "actor": {"mbox": "mailto:ann@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": "http://example.com/a"},
            }
            response = http.post("/xapi/statements", json=[statement] * 3,
                                 headers={"X-Experience-API-Version": "1.0.3"})
            assert response.status_code == 200, response.text
            last_statement = signed = 0
            for _ in range(100):
                checker = Checker(key.public_key())
                with http.stream("GET", "/admin/export") as streamed:
                    assert streamed.status_code == 200
                    # Streamed: no length known up front.
                    assert "content-length" not in streamed.headers
                    body = b"".join(streamed.iter_bytes())
                verify_export(io.BytesIO(body), on_row=checker.row)
                last_statement = max(
                    orjson.loads(line)[0] for line in body.splitlines()
                    if line.startswith(b"[") and b"xapi.statement.stored" in line
                )
                signed = checker.result.signed.get("default", 0)
                if signed >= last_statement:
                    break
                time.sleep(0.2)
            # The schedule signed a head that includes the three statements.
            assert signed >= last_statement > 0
    finally:
        stop_server(server)
