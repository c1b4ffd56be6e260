"""Erasure of a person's data from a store (`lrs erase`, POST /admin/erasures).

One transaction holding the log's lock:

1. find the statements the person is in (lrs.xapi.erasure: actor, object,
   SubStatement, authority erase the statement whole; instructor, team, Group
   member, contextAgents/contextGroups replace the person with a placeholder),
   their documents (State of that Agent, Agent Profile) and the attachments only
   their erased statements carried;
2. append an ``lrs.erasure`` event to the store's chain: who asked, the legal basis,
   a keyed fingerprint of the person (never the identity), counts, and the
   positions it redacts;
3. rewrite those events' payloads in place with a redacted version carrying the
   marker (lrs.log.redactions), listed in ``event_redactions`` (the append-only
   triggers let exactly that through); everything else of the rows stays, so the
   chain and its signed checkpoints still verify;
4. re-index the statements concerned (lrs.index.redaction: those erased or
   redacted, the statements targeting them, the canonical rows they fed), drop the
   erased documents' heads, and delete bytes nothing readable refers to any more.

Views are folded again from the redacted log afterwards (projections.erasure).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, delete, exists, select, update

from lrs import analytics, log
from lrs.competency import TEAM_SET
from lrs.db import read_transaction
from lrs.documents import AGENT_PROFILE, DELETED, STATE, WRITTEN
from lrs.errors import BadRequest, NotFound
from lrs.events import STATEMENT_STORED, NewEvent, RecordedEvent, dumps
from lrs.forwarding.targets import TARGET_ADDED
from lrs.index.redaction import apply_erasure
from lrs.log.redactions import ERASURE, MARKER, marker
from lrs.schema import (
    attachment_blobs,
    attachment_uploads,
    blobs,
    document_heads,
    event_redactions,
    events,
    forwarding_targets,
    stores,
)
from lrs.xapi import attachments
from lrs.xapi import erasure as rules
from lrs.xapi.agents import identity, ifi_key, key_hash

LEGAL_BASIS_MAX = 2000
_AGENT_DOCUMENTS = {WRITTEN[STATE], DELETED[STATE], WRITTEN[AGENT_PROFILE], DELETED[AGENT_PROFILE]}
_DOCUMENT_WRITES = sorted(WRITTEN.values())
_UPDATE = (
    update(events)
    .where(events.c.position == bindparam("b_position"))
    .values(data=bindparam("data"), metadata=bindparam("metadata"))
)


@dataclass
class Plan:
    """What an erasure removes; the dry run shows it and writes nothing."""

    store_id: str
    # statement id -> the roles the person plays in it
    erased: dict[str, list[str]] = field(default_factory=dict)
    redacted: dict[str, list[str]] = field(default_factory=dict)
    # "kind:id" of each document (State, Agent Profile) of the person
    documents: list[str] = field(default_factory=list)
    # attachment sha2 held only by erased statements
    attachments: list[str] = field(default_factory=list)
    # "type@position" of other events that named the person (memberships, opt-outs,
    # competency teams, forwarding filters): the person is replaced in them
    others: list[str] = field(default_factory=list)
    # forwarding target id -> its configuration with the person replaced
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # position -> (new data, new metadata)
    rewrites: dict[int, tuple[str, str]] = field(default_factory=dict)
    # position -> the statement erased whole (as it was) / redacted (as it now is)
    erased_statements: dict[int, dict[str, Any]] = field(default_factory=dict)
    redacted_statements: dict[int, dict[str, Any]] = field(default_factory=dict)
    # document streams whose heads go, bytes that may no longer be needed
    streams: set[str] = field(default_factory=set)
    blob_candidates: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {
            "statementsErased": len(self.erased),
            "statementsRedacted": len(self.redacted),
            "documents": len(self.documents),
            "attachments": len(self.attachments),
            "otherEvents": len(self.others),
            "events": len(self.rewrites),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store_id,
            "counts": self.counts(),
            "statements": {
                "erased": [{"id": i, "roles": r} for i, r in sorted(self.erased.items())],
                "redacted": [{"id": i, "roles": r} for i, r in sorted(self.redacted.items())],
            },
            "documents": sorted(self.documents),
            "attachments": sorted(self.attachments),
            "otherEvents": list(self.others),
        }


@dataclass(frozen=True)
class Request:
    store_id: str
    agent: dict[str, Any]
    legal_basis: str
    # Who asked: {"credential": id} from the API, {"operator": name} from the CLI.
    requested_by: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    erasure_event_id: str
    position: int
    fingerprint: str


def check_legal_basis(text: Any, path: str = "legalBasis") -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(f"{path}: the legal basis of the erasure is required (text)")
    if len(text) > LEGAL_BASIS_MAX:
        raise BadRequest(f"{path}: at most {LEGAL_BASIS_MAX} characters")
    return text


def plan(engine: Engine, store_id: str, agent: dict[str, Any], secret: bytes | None = None) -> Plan:
    """What erasing ``agent`` from the store would change (a dry run: nothing written)."""
    with read_transaction(engine) as conn:
        _require_store(conn, store_id)
        return _plan(conn, store_id, agent, rules.placeholder(_stand_in_name(secret, store_id, agent)), "dry-run")


def _stand_in_name(secret: bytes | None, store_id: str, agent: dict[str, Any]) -> str:
    return rules.fingerprint(secret, store_id, agent) if secret else "dry-run"


def erase(
    engine: Engine, request: Request, secret: bytes, *, lock_timeout_seconds: float = 30.0
) -> Outcome:
    """Erase the person from the store (see the module's docstring)."""
    check_legal_basis(request.legal_basis)
    fp = rules.fingerprint(secret, request.store_id, request.agent)
    erasure_id = str(uuid.uuid4())
    with log.writing(
        engine, lock_timeout_seconds=lock_timeout_seconds, store_id=request.store_id
    ) as writer:
        conn = writer.conn
        _require_store(conn, request.store_id)
        found = _plan(conn, request.store_id, request.agent, rules.placeholder(fp), erasure_id)
        positions = sorted(found.rewrites)
        (event,) = writer.append(request.store_id, [NewEvent(
            ERASURE,
            f"erasure:{erasure_id}",
            erasure_id,
            dumps({
                "requestedBy": request.requested_by,
                "legalBasis": request.legal_basis,
                "agentFingerprint": fp,
                "fingerprint": "HMAC-SHA-256(LRS_PSEUDONYM_SECRET, store NUL agent identifier)",
                "counts": found.counts(),
                "redacted": positions,
            }),
            dumps({"requestedBy": request.requested_by}),
        )])
        if positions:
            conn.execute(event_redactions.insert(), [
                {"position": p, "store_id": request.store_id, "erasure_position": event.position}
                for p in positions
            ])
            conn.execute(_UPDATE, [
                {"b_position": p, "data": data, "metadata": metadata}
                for p, (data, metadata) in sorted(found.rewrites.items())
            ])
        for target_id, config in sorted(found.targets.items()):
            conn.execute(update(forwarding_targets).where(forwarding_targets.c.id == target_id)
                         .values(config=dumps(config)))
        _drop_documents(conn, request.store_id, found.streams)
        _drop_attachments(conn, request.store_id, found.attachments)
        _drop_unreferenced_blobs(conn, found.blob_candidates)
        apply_erasure(
            conn, request.store_id, found.erased_statements, found.redacted_statements,
            {key_hash(k) for k in rules.identity_keys(request.agent)},
        )
    return Outcome(found, erasure_id, event.position, fp)


# --------------------------------------------------------------------- planning


def _require_store(conn: Connection, store_id: str) -> None:
    if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is not None:
        return
    known = [row[0] for row in conn.execute(select(stores.c.id).order_by(stores.c.id).limit(21))]
    if not known:
        raise NotFound(
            f"no store {store_id!r}: this database holds no store yet, so no personal data "
            "to erase (stores are made by `lrs serve` at its first start, `lrs stores "
            "create` or `lrs import`)"
        )
    listed = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
    raise NotFound(f"no store {store_id!r} (stores here: {listed}; choose one with --store)")


def _events(conn: Connection, store_id: str, types: list[str]) -> Iterator[RecordedEvent]:
    after = 0
    while chunk := log.read_forward(conn, after, 2000, store_id=store_id, types=types):
        yield from chunk
        after = chunk[-1].position


def _plan(
    conn: Connection, store_id: str, agent: dict[str, Any], stand_in: dict[str, Any], erasure_id: str
) -> Plan:
    matcher = rules.Matcher(agent)
    found = Plan(store_id)
    mark = marker(erasure_id)
    erased_sha2: set[str] = set()
    kept_sha2: set[str] = set()
    for event in _events(conn, store_id, [STATEMENT_STORED]):
        statement = event.payload()
        if MARKER in statement:
            continue  # erased whole by an earlier erasure
        statement_roles = rules.roles(statement, matcher)
        sha2s = {a["sha2"].lower() for _, a in attachments.attachments_in(statement)}
        if not statement_roles:
            kept_sha2 |= sha2s
            continue
        ordered = sorted(statement_roles)
        if rules.is_full(statement_roles):
            found.erased[statement["id"]] = ordered
            found.erased_statements[event.position] = statement
            erased_sha2 |= sha2s
            kept: dict[str, Any] = {"id": statement["id"], **mark}
            target = _voided_target(statement)
            if target is not None:
                kept["voids"] = target
            found.rewrites[event.position] = (dumps(kept), event.metadata)
        else:
            found.redacted[statement["id"]] = ordered
            kept_sha2 |= sha2s
            meta = {**event.meta(), **mark}
            kept_statement = rules.without_person(statement, matcher, stand_in)
            found.redacted_statements[event.position] = kept_statement
            found.rewrites[event.position] = (orjson.dumps(kept_statement).decode(), dumps(meta))
    found.attachments = sorted(erased_sha2 - kept_sha2)
    for event in _events(conn, store_id, sorted(_AGENT_DOCUMENTS)):
        data = event.payload()
        if MARKER in data or not matcher.is_person(data.get("agent")):
            continue
        if event.stream_id not in found.streams:
            found.streams.add(event.stream_id)
            kind = event.type.split(".")[1]
            found.documents.append(f"{kind}:{data.get('stateId') or data.get('profileId')}")
        if isinstance(data.get("sha256"), str):
            found.blob_candidates.add(data["sha256"])
        found.rewrites[event.position] = (dumps(mark), event.metadata)
    _plan_others(conn, store_id, matcher, stand_in, mark, found)
    if found.attachments:
        found.blob_candidates |= {
            row[0] for row in conn.execute(
                select(attachment_blobs.c.sha256).where(
                    attachment_blobs.c.store_id == store_id,
                    attachment_blobs.c.sha2.in_(found.attachments),
                )
            )
        }
    return found


# Event types other than statements and documents whose payload can name a person
# (every Agent a payload may hold): team memberships imported for the KPI and social
# views, objections to social analytics and their withdrawal, competency teams, and
# forwarding filters. The person is replaced with the placeholder, as in a statement
# that names them in a secondary role: the rest of the event keeps meaning what it
# meant (team sizes, the other members, the target), and views folded again agree.
_OTHER_TYPES = sorted({analytics.MEMBERSHIP_IMPORTED, analytics.OPTED_OUT, analytics.OPTED_IN,
                       TEAM_SET, TARGET_ADDED})


def _plan_others(
    conn: Connection, store_id: str, matcher: rules.Matcher, stand_in: dict[str, Any],
    mark: dict[str, Any], found: Plan,
) -> None:
    stand_in_key = ifi_key(stand_in)
    # As lrs.analytics stores an agent: its identifier only.
    stand_in_ifi = {"account": stand_in["account"]}

    def person(value: Any) -> bool:
        return isinstance(value, dict) and matcher.is_person(value)

    for event in _events(conn, store_id, _OTHER_TYPES):
        data = event.payload()
        changed = False
        if event.type == analytics.MEMBERSHIP_IMPORTED:
            for row in data.get("memberships") or ():
                if isinstance(row, dict) and person(row.get("agent")):
                    row["agent"], row["agentKey"] = dict(stand_in_ifi), stand_in_key
                    changed = True
        elif event.type in (analytics.OPTED_OUT, analytics.OPTED_IN):
            if person(data.get("agent")):
                data["agent"], data["agentKey"] = dict(stand_in_ifi), stand_in_key
                changed = True
        elif event.type == TEAM_SET:
            members = data.get("members") or []
            if any(person(m) for m in members):
                data["members"] = [identity(stand_in) if person(m) else m for m in members]
                changed = True
        else:
            agents = (data.get("filter") or {}).get("agents") or []
            if any(person(a) for a in agents):
                data["filter"]["agents"] = [dict(stand_in) if person(a) else a for a in agents]
                changed = True
                _plan_target(conn, data, found)
        if changed:
            found.others.append(f"{event.type}@{event.position}")
            found.rewrites[event.position] = (dumps(data), dumps({**event.meta(), **mark}))


def _plan_target(conn: Connection, data: dict[str, Any], found: Plan) -> None:
    """The forwarding target's stored configuration follows its redacted event."""
    row = conn.execute(select(forwarding_targets.c.config)
                       .where(forwarding_targets.c.id == data.get("id"))).first()
    if row is not None:
        config = orjson.loads(row[0])
        config["filter"] = data["filter"]
        found.targets[str(data["id"])] = config


def _voided_target(statement: dict[str, Any]) -> str | None:
    """The statement a voiding statement voids (Data 2.3.2): its voiding stands."""
    obj = statement.get("object") or {}
    if (statement.get("verb") or {}).get("id") == "http://adlnet.gov/expapi/verbs/voided" and obj.get(
        "objectType"
    ) == "StatementRef":
        return str(obj.get("id", "")).lower() or None
    return None


# -------------------------------------------------------------------- applying


def _drop_documents(conn: Connection, store_id: str, streams: set[str]) -> None:
    for stream in sorted(streams):
        kind, _, doc_hash = stream.partition(":")
        conn.execute(delete(document_heads).where(
            document_heads.c.store_id == store_id,
            document_heads.c.kind == kind,
            document_heads.c.doc_hash == doc_hash,
        ))


def _drop_attachments(conn: Connection, store_id: str, sha2s: list[str]) -> None:
    for start in range(0, len(sha2s), 500):
        chunk = sha2s[start : start + 500]
        for table in (attachment_uploads, attachment_blobs):
            conn.execute(delete(table).where(table.c.store_id == store_id, table.c.sha2.in_(chunk)))


def _drop_unreferenced_blobs(conn: Connection, candidates: set[str]) -> None:
    """Delete bytes no attachment, current document or unredacted document version
    (of any store: bytes are shared by hash) refers to any more."""
    for sha256 in sorted(candidates):
        used = conn.execute(select(
            exists().where(attachment_blobs.c.sha256 == sha256)
            | exists().where(document_heads.c.sha256 == sha256)
            | exists().where(and_(
                events.c.type.in_(_DOCUMENT_WRITES), events.c.data.contains(f'"{sha256}"')
            ))
        )).scalar()
        if not used:
            conn.execute(delete(blobs).where(blobs.c.sha256 == sha256))


def redacted_positions(engine: Engine, store_id: str | None = None) -> list[int]:
    """Positions an erasure redacted (what `lrs verify` reports)."""
    query = select(event_redactions.c.position).distinct().order_by(event_redactions.c.position)
    if store_id is not None:
        query = query.where(event_redactions.c.store_id == store_id)
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


__all__ = [
    "Outcome", "Plan", "Request", "check_legal_basis", "erase", "plan",
    "redacted_positions",
]
