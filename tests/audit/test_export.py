"""`lrs export` and `lrs verify --export`: the export holds the whole chain and every
byte it refers to, verifies with no database, and any changed byte is found."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrs import log
from lrs.audit.export import export_lines
from lrs.audit.offline import ExportError, verify_export
from tests.audit.conftest import BINARY, TEXT


def _export(engine, store=None) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(export_lines(engine, store, batch=7))


def test_an_export_carries_the_chain_its_blobs_and_a_manifest(source):
    engine, _, _ = source
    data = _export(engine)
    lines = data.splitlines()
    header, manifest = orjson.loads(lines[0]), orjson.loads(lines[-1])
    assert header["t"] == "header" and header["format"] == "lrs-export" and header["store"] is None
    rows = [orjson.loads(line) for line in lines if line.startswith(b"[")]
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    db = log.verify(engine)
    assert manifest["events"] == db.events == len(rows)
    assert manifest["stores"] == {
        store: {"head": head, "events": db.store_counts[store]} for store, head in db.store_heads.items()
    }
    blobs = {orjson.loads(line)["sha256"] for line in lines if b'"t":"blob"' in line}
    assert hashlib.sha256(BINARY).hexdigest() in blobs  # attachment
    assert hashlib.sha256(TEXT).hexdigest() in blobs  # binary state document
    assert hashlib.sha256(BINARY[:100]).hexdigest() in blobs  # activity profile
    assert manifest["digest"] == hashlib.sha256(data[: data.rindex(b"\n", 0, len(data) - 1) + 1]).hexdigest()
    report = verify_export(io.BytesIO(data))
    assert report.store_heads == db.store_heads and report.events == db.events
    assert report.attachments == 1 and report.blobs == 3


def test_a_store_export_holds_that_store_only(source):
    engine, _, _ = source
    report = verify_export(io.BytesIO(_export(engine, "other")))
    assert set(report.store_heads) == {"other"}
    assert report.store_heads["other"] == log.verify(engine, store_id="other").store_heads["other"]
    assert report.attachments == 0


def _flipped(data: bytes, index: int, bit: int) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_byte_is_reported_where_it_is(source, where, bit):
    engine, _, _ = source
    data = _export(engine)
    index = int(where * len(data))
    with pytest.raises(ExportError) as caught:
        verify_export(io.BytesIO(_flipped(data, index, bit)))
    error = caught.value
    # The line reported is the line holding the changed byte (or the one it
    # joined into, when the newline itself was changed).
    line_start = data.rfind(b"\n", 0, index) + 1
    assert error.offset == line_start, (index, str(error))
    line = data[line_start : data.find(b"\n", index) + 1]
    if line.startswith(b"[") and data[index : index + 1] != b"\n":
        # The row's position, or what the changed bytes now say it is.
        original = orjson.loads(line)[0]
        assert error.position in (original, None) or str(error.position) in str(
            _flipped(data, index, bit)[line_start : line_start + 20]
        )


def test_a_truncated_export_is_refused(source):
    engine, _, _ = source
    data = _export(engine)
    cut = data[: data.rindex(b"\n", 0, len(data) - 1) + 1]
    with pytest.raises(ExportError, match="no manifest"):
        verify_export(io.BytesIO(cut))
    with pytest.raises(ExportError, match="newline"):
        verify_export(io.BytesIO(data[:-1]))


def test_a_deleted_row_is_reported_at_its_position(source):
    engine, _, _ = source
    lines = _export(engine).splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if line.startswith(b"[")]
    del lines[rows[4]]
    with pytest.raises(ExportError) as caught:
        verify_export(io.BytesIO(b"".join(lines)))
    assert caught.value.position == 6


def test_cli_exports_and_verifies_offline(source, tmp_path: Path, db_url: str):
    from tests.audit.cli import run_lrs

    engine, _, _ = source
    out = tmp_path / "export.jsonl"
    done = run_lrs(db_url, "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    # No database at all: a URL that does not exist must not matter.
    offline = run_lrs("sqlite:////nonexistent/dir/x.sqlite3", "verify", "--export", str(out))
    assert offline.returncode == 0, offline.stderr
    head = log.verify(engine).store_heads["default"]
    assert offline.stdout.startswith("export intact") and head in offline.stdout
    data = out.read_bytes()
    middle = data.index(b"xapi.statement.stored")
    out.write_bytes(_flipped(data, middle + 3, 0))
    bad = run_lrs("sqlite:////nonexistent/dir/x.sqlite3", "verify", "--export", str(out))
    assert bad.returncode == 2
    assert "position" in bad.stderr and "hash mismatch" in bad.stderr


def test_cli_refuses_a_store_with_an_export(tmp_path: Path):
    from tests.audit.cli import run_lrs

    out = tmp_path / "x.jsonl"
    out.write_bytes(b"")
    done = run_lrs("sqlite:////nonexistent/x.sqlite3", "verify", "--export", str(out), "--store", "s")
    assert done.returncode == 2 and "--store" in done.stderr
