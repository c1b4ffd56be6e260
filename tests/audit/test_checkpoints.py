"""Signed checkpoints: a key outside the database signs each store's head; a chain
rewritten with every hash recomputed no longer matches the signatures."""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lrs import log
from lrs.audit import archive
from lrs.audit.checkpoints import (
    CHECKPOINT,
    Checker,
    Schedule,
    check_log,
    public_pem,
    sign_heads,
)
from lrs.audit.export import export_lines
from lrs.audit.offline import ExportError, verify_export
from lrs.credentials import create_credential
from lrs.log import GENESIS


def _export(engine) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(export_lines(engine))


def test_checkpoints_sign_each_store_head_and_verify(source):
    engine, _, _ = source
    key = Ed25519PrivateKey.generate()
    heads = log.verify(engine)
    signed = {s.store_id: s for s in sign_heads(engine, key)}
    assert set(signed) == {"default", "other"}
    for store, one in signed.items():
        assert one.head == heads.store_heads[store]
    # Nothing new: nothing signed twice.
    assert sign_heads(engine, key) == []
    log.verify(engine)
    result = check_log(engine, key.public_key())
    assert result.signed == {store: one.position for store, one in signed.items()}
    assert result.last == {store: one.checkpoint_position for store, one in signed.items()}
    # Written after: the store's last position moves on, the signed one stays.
    create_credential(engine, store_id="other", scopes=("all",), public_url="http://x")
    later = check_log(engine, key.public_key())
    assert later.signed["other"] == signed["other"].position
    assert later.last["other"] > signed["other"].checkpoint_position
    assert "other: signed up to position" in later.summary()

    checker = Checker(key.public_key())
    verify_export(io.BytesIO(_export(engine)), on_row=checker.row)
    assert checker.result.signed == later.signed and checker.result.last == later.last

    stranger = Checker(Ed25519PrivateKey.generate().public_key())
    verify_export(io.BytesIO(_export(engine)), on_row=stranger.row)
    assert stranger.result.signed == {} and stranger.result.by_other_keys == 2
    assert "not signed by this key" in stranger.result.summary()


def _rewritten(data: bytes, change: Any) -> bytes:
    """What an administrator with write access could do: change rows, then recompute
    every hash and the manifest, so that the chain verifies again."""
    lines = data.splitlines(keepends=True)
    heads: dict[str, str] = {}
    out = [lines[0]]
    for line in lines[1:-1]:
        if line.startswith(b"["):
            row = change(orjson.loads(line))
            row[10] = heads.get(row[1], GENESIS)
            canonical = orjson.dumps(row[: archive.HASHED])
            row[11] = hashlib.sha256(bytes.fromhex(row[10]) + canonical).hexdigest()
            heads[row[1]] = row[11]
            line = archive.row_line(row)
        out.append(line)
    manifest = orjson.loads(lines[-1])
    del manifest["check"]
    manifest["stores"] = {s: {**v, "head": heads[s]} for s, v in manifest["stores"].items()}
    manifest["digest"] = hashlib.sha256(b"".join(out)).hexdigest()
    return b"".join([*out, archive.checked_line(manifest)])


def test_a_rewritten_chain_verifies_but_its_checkpoints_do_not(source):
    engine, _, _ = source
    key = Ed25519PrivateKey.generate()
    sign_heads(engine, key)
    data = _export(engine)

    def forge(row: list[Any]) -> list[Any]:
        if row[0] == 3:
            row[8] = row[8].replace("Learner", "Someone else").replace("Ann", "Eve")
        return row

    forged = _rewritten(data, forge)
    assert forged != data
    verify_export(io.BytesIO(forged))  # the chain alone is fooled
    # Reported where the first checkpoint after the change is.
    with pytest.raises(ExportError, match=r"position \d+: checkpoint: it does not sign"):
        verify_export(io.BytesIO(forged), on_row=Checker(key.public_key()).row)


def test_a_changed_signature_is_found(source):
    engine, _, _ = source
    key = Ed25519PrivateKey.generate()
    sign_heads(engine, key)
    data = _export(engine)

    def resign(row: list[Any]) -> list[Any]:
        if row[5] == CHECKPOINT:
            body = orjson.loads(row[8])
            body["signature"] = body["signature"][:-4] + ("AAA=" if body["signature"][-4:] != "AAA=" else "BBB=")
            row[8] = orjson.dumps(body).decode()
        return row

    with pytest.raises(ExportError, match="signature does not verify"):
        verify_export(io.BytesIO(_rewritten(data, resign)), on_row=Checker(key.public_key()).row)


def test_the_schedule_signs_heads_on_its_own(source):
    engine, _, _ = source
    key = Ed25519PrivateKey.generate()
    schedule = Schedule(engine, key, 0.05)
    schedule.start()
    try:
        for _ in range(200):
            if check_log(engine, key.public_key()).signed.keys() == {"default", "other"}:
                break
            time.sleep(0.05)
    finally:
        schedule.stop()
    assert check_log(engine, key.public_key()).signed.keys() == {"default", "other"}


def test_cli_generates_signs_and_verifies(source, tmp_path: Path, db_url: str):
    from tests.audit.cli import run_lrs

    del source  # filled: the log has heads to sign
    key_file = tmp_path / "checkpoint.pem"
    made = run_lrs(db_url, "checkpoint", "--generate-key", str(key_file))
    assert made.returncode == 0, made.stderr
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    public = tmp_path / "public.pem"
    public.write_text(made.stdout)
    assert "PRIVATE" not in made.stdout
    assert run_lrs(db_url, "checkpoint", "--generate-key", str(key_file)).returncode == 1

    signed = run_lrs(db_url, "checkpoint", env={"LRS_CHECKPOINT_KEY_FILE": str(key_file)})
    assert signed.returncode == 0, signed.stderr
    assert "default: signed position" in signed.stdout
    no_key = run_lrs(db_url, "checkpoint")
    assert no_key.returncode == 1 and "no signing key" in no_key.stderr

    checked = run_lrs(db_url, "verify", "--public-key", str(public))
    assert checked.returncode == 0, checked.stderr
    assert "default: signed up to position" in checked.stdout

    out = tmp_path / "export.jsonl"
    assert run_lrs(db_url, "export", "--out", str(out)).returncode == 0
    offline = run_lrs("sqlite:////nonexistent/x.sqlite3", "verify", "--export", str(out),
                      "--public-key", str(public))
    assert offline.returncode == 0, offline.stderr
    assert "default: signed up to position" in offline.stdout

    pem = Ed25519PrivateKey.generate()
    other = tmp_path / "other.pem"
    other.write_text(public_pem(pem))
    unsigned = run_lrs(db_url, "verify", "--public-key", str(other))
    assert unsigned.returncode == 0 and "not signed by this key" in unsigned.stdout


def test_a_schedule_needs_a_key():
    from lrs.config import Settings

    with pytest.raises(ValueError, match="needs a signing key"):
        Settings.from_env({"LRS_CHECKPOINT_INTERVAL_SECONDS": "60"})
    settings = Settings.from_env({"LRS_CHECKPOINT_INTERVAL_SECONDS": "60", "LRS_CHECKPOINT_KEY": "bm90IGEga2V5"})
    from lrs.audit.checkpoints import KeyProblem, signing_key

    with pytest.raises(KeyProblem, match="not an Ed25519 private key"):
        signing_key(settings)
