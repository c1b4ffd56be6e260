"""The statement index that an erasure (lrs.index.redaction) and an import
(lrs.audit.load) leave is the one `lrs reindex` rebuilds from the log, for any mix of
StatementRefs, voiding (either order) and a person in any role."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from lrs import erasure, statements
from lrs.audit.export import export_lines
from lrs.audit.load import import_export
from lrs.credentials import FULL_RIGHTS, create_credential, ensure_default_store
from lrs.db import make_engine
from lrs.errors import BadRequest, Conflict
from lrs.index import reindex
from lrs.schema import INDEX_TABLES, agents
from tests.api.access_helpers import cheapen_password_hashing

PEOPLE = [{"objectType": "Agent", "name": n, "mbox": f"mailto:{n.lower()}@example.com"}
          for n in ("Ann", "Bob", "Cy")]
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _id(n: int) -> str:
    return str(UUID(int=n + 1))


@st.composite
def histories(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """Batches of statements: plain ones (people in several roles, Activities with
    definitions), StatementRefs to any of them, voiding statements of plain ones."""
    count = draw(st.integers(2, 9))
    kinds = draw(st.lists(st.sampled_from(["plain", "ref", "void"]), min_size=count, max_size=count))
    kinds[0] = "plain"
    plain = [i for i, k in enumerate(kinds) if k == "plain"]
    out = []
    for i, kind in enumerate(kinds):
        actor = draw(st.sampled_from(PEOPLE))
        if kind == "plain":
            body: dict[str, Any] = {
                "actor": actor, "verb": {"id": "http://example.com/v", "display": {"en": draw(st.sampled_from("ab"))}},
                "object": {"id": f"http://example.com/a/{draw(st.integers(0, 2))}",
                           "definition": {"name": {draw(st.sampled_from(["en", "de"])): str(i)}}},
            }
            instructor = draw(st.sampled_from([None, *PEOPLE]))
            if instructor is not None:
                body["context"] = {"instructor": {**instructor, "name": f"{instructor['name']}{i % 2}"}}
        elif kind == "ref":
            body = {"actor": actor, "verb": {"id": "http://example.com/cites"},
                    "object": {"objectType": "StatementRef", "id": _id(draw(st.integers(0, count - 1)))}}
        else:
            body = {"actor": actor, "verb": {"id": VOIDED},
                    "object": {"objectType": "StatementRef", "id": _id(draw(st.sampled_from(plain)))}}
        out.append({"id": _id(i), **body})
    order = draw(st.permutations(out))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, count - 1)), max_size=3)))
    return [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, count], strict=True) if order[a:b]]


def _index(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
                for t in (*INDEX_TABLES, agents)}


def _fresh(template: Path, folder: Path, name: str) -> Engine:
    path = folder / name
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), person=st.sampled_from(PEOPLE))
def test_erasure_and_import_leave_the_index_a_rebuild_gives(
    history: list[list[dict[str, Any]]], person: dict[str, Any], _sqlite_template: Path, monkeypatch: Any
) -> None:
    cheapen_password_hashing(monkeypatch)
    with tempfile.TemporaryDirectory() as folder:
        source = _fresh(_sqlite_template, Path(folder), "source.sqlite3")
        ensure_default_store(source)
        credential, _ = create_credential(source, store_id="default", scopes=FULL_RIGHTS)
        for batch in history:
            try:
                prepared = statements.prepare(batch, "1.0.3", batch=True)
                statements.write(source, credential, prepared, version="1.0.3")
            except (BadRequest, Conflict):
                continue  # a batch the LRS refuses (a rule of the spec) writes nothing
        erasure.erase(source, erasure.Request("default", person, "test", {"operator": "t"}), b"k")
        erased = _index(source)
        reindex(source)
        assert _index(source) == erased

        path = Path(folder) / "export.jsonl"
        path.write_bytes(b"".join(export_lines(source)))
        target = _fresh(_sqlite_template, Path(folder), "target.sqlite3")
        import_export(target, path)
        assert _index(target) == erased
        source.dispose()
        target.dispose()
