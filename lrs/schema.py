"""Table definitions for SQLAlchemy Core queries.

Alembic migrations are the only way these tables are created or changed; a test
checks that the migrated database matches this module.

Columns that hold IRIs or agent identifiers are indexed through a 128-bit hash
(``*_hash``): IRIs have no length limit in xAPI, and PostgreSQL refuses B-tree
entries larger than a page, so indexing the text itself would turn a long but
valid IRI into a server error.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# The append-only, hash-chained log: the only source of truth.
events = Table(
    "events",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("store_id", String(64), nullable=False),
    Column("stream_id", String(512), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("type", String(128), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("metadata", Text, nullable=False),
    # Fixed-width ISO 8601 UTC text: identical on both dialects, so the hash is too.
    Column("recorded_at", String(32), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("store_id", "stream_id", "stream_version", name="uq_events_stream_version"),
    UniqueConstraint("store_id", "event_id", name="uq_events_event_id"),
    Index("ix_events_store_position", "store_id", "position"),
)

stores = Table(
    "stores",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", String(32), nullable=False),
)

# Secrets are stored as argon2 hashes; the log only ever sees a fingerprint.
credentials = Table(
    "credentials",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("key", String(255), nullable=False, unique=True),
    Column("secret_hash", String(255), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("authority", Text, nullable=False),
    Column("label", String(255), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)

# ---------------------------------------------------------------------------
# The inline statement index: written in the same transaction as the append.
# ---------------------------------------------------------------------------

statements = Table(
    "statements",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("store_id", String(64), nullable=False),
    # Lowercase: UUIDs compare case-insensitively.
    Column("statement_id", String(36), nullable=False),
    Column("stored_us", BigInteger, nullable=False),
    Column("voided", Boolean, nullable=False),
    # Set on voiding statements: the id they void (xAPI Data 2.3.2).
    Column("voids_statement_id", String(36), nullable=True),
    # Set when the object is a StatementRef (Communication 2.1.3 filter rule).
    Column("ref_statement_id", String(36), nullable=True),
    Column("has_attachments", Boolean, nullable=False),
    # Who asserted the statement (Data 2.4.9): what statements/read/mine selects on.
    Column("authority_hash", String(32), nullable=True),
    UniqueConstraint("store_id", "statement_id", name="uq_statements_store_id"),
    Index("ix_statements_store_position", "store_id", "position"),
    Index("ix_statements_store_ref", "store_id", "ref_statement_id"),
    Index("ix_statements_store_voids", "store_id", "voids_statement_id"),
    Index("ix_statements_store_stored", "store_id", "stored_us"),
    Index("ix_statements_store_authority", "store_id", "authority_hash", "position"),
)

# What the GET filters look for, one row per (statement, kind, value). A statement
# whose object is a StatementRef also carries the rows of the statement it targets
# (transitively), so "targeting statements match when their target matches"
# (Communication 2.1.3.s3) costs nothing at query time.
statement_keys = Table(
    "statement_keys",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", SmallInteger, primary_key=True, autoincrement=False),
    Column("key_hash", String(32), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Index("ix_statement_keys_lookup", "store_id", "kind", "key_hash", "position"),
)

# Canonical Activity definitions and Verb displays (Data 2.4.4.1, 2.4.3).
activities = Table(
    "activities",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("activity_hash", String(32), primary_key=True),
    Column("activity_id", Text, nullable=False),
    Column("definition", Text, nullable=False),
    Column("updated_position", BigInteger, nullable=False),
)

verbs = Table(
    "verbs",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("verb_hash", String(32), primary_key=True),
    Column("verb_id", Text, nullable=False),
    Column("display", Text, nullable=False),
    Column("updated_position", BigInteger, nullable=False),
)

# Voiding statements an erasure removed whole (lrs.erasure): out of ``statements``,
# so no read finds them, but their voiding stands (Data 2.3.2), also for a target
# that arrives after the erasure. Derived from the log like the rest of the index.
erased_voiding = Table(
    "erased_voiding",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("voids_statement_id", String(36), nullable=False),
    Index("ix_erased_voiding_target", "store_id", "voids_statement_id"),
)

INDEX_TABLES = (statements, statement_keys, activities, verbs, erased_voiding)

# ---------------------------------------------------------------------------
# Documents (State, Activity Profile, Agent Profile) and content-addressed bytes.
# ---------------------------------------------------------------------------

# Bytes of attachments and non-JSON documents, stored once per SHA-256.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("length", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# The current version of each document: an index of the newest document event.
document_heads = Table(
    "document_heads",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("doc_hash", String(32), primary_key=True),
    # Hash of (activity, agent, registration): what the id listings select on.
    Column("scope_hash", String(32), nullable=False),
    Column("registration", String(36), nullable=True),
    Column("doc_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("updated", String(32), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("etag", String(40), nullable=False),
    Column("length", BigInteger, nullable=False),
    # JSON documents are kept as their exact text; other bytes live in blobs.
    Column("text", Text, nullable=True),
    Column("sha256", String(64), nullable=True),
    Index("ix_document_heads_scope", "store_id", "kind", "scope_hash", "updated_us"),
)

# Names seen for each Agent identifier: the Person object of the Agents resource.
agents = Table(
    "agents",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("agent_hash", String(32), primary_key=True),
    Column("identity", Text, nullable=False),
    Column("names", Text, nullable=False),
    Column("updated_position", BigInteger, nullable=False),
)

# Which attachment data a store holds, by the attachment's own sha2 (any SHA-2
# length) and the SHA-256 its bytes are kept under. Per store: knowing a hash must
# not let another tenant fetch the bytes.
attachment_blobs = Table(
    "attachment_blobs",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("sha2", String(128), primary_key=True),
    Column("sha256", String(64), nullable=False),
)

# Which authority's statements (Data 2.4.9, as statements.authority_hash) brought each
# attachment's bytes: a statements/read/mine credential gets only those it sent, not
# bytes another authority uploaded under a hash it merely names with a fileUrl.
attachment_uploads = Table(
    "attachment_uploads",
    metadata,
    Column("store_id", String(64), primary_key=True),
    Column("sha2", String(128), primary_key=True),
    Column("authority_hash", String(32), primary_key=True),
)

# Positions an import left out: an export of one store skips the positions its
# source gave other stores, and the rows keep their positions because the chain
# hashes them. `lrs verify` accepts a missing position only inside one of these
# ranges (lrs.audit.load writes them, nothing else does).
log_gaps = Table(
    "log_gaps",
    metadata,
    Column("first_position", BigInteger, primary_key=True, autoincrement=False),
    Column("last_position", BigInteger, nullable=False),
    # Why the positions are missing (the import and the export's store and head).
    Column("reason", Text, nullable=False),
)

# Positions whose payload an erasure (lrs.erasure) replaced with a redaction marker,
# and the erasure event that did it (which lists them too, inside the chain). The
# append-only triggers let an UPDATE of ``events`` through only for a position listed
# here, and refuse any change to this table once written.
event_redactions = Table(
    "event_redactions",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("store_id", String(64), nullable=False),
    Column("erasure_position", BigInteger, primary_key=True, autoincrement=False),
    Index("ix_event_redactions_store", "store_id", "erasure_position"),
)

# The last rejected statement requests of each credential (lrs.rejections): what an
# integrator reads to see why their content's statements were refused. Not history
# (the log is): rows are pruned by count and age.
rejections = Table(
    "rejections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("credential_id", String(36), nullable=False),
    Column("key", String(255), nullable=False),
    Column("at", String(32), nullable=False),
    Column("method", String(8), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("reason", Text, nullable=False),
    # The error's details (property path, rule), JSON text.
    Column("details", Text, nullable=False),
    # The request body, cut to LRS_REJECTIONS_BODY_BYTES (as text, invalid UTF-8 replaced).
    Column("body", Text, nullable=False),
    Column("body_length", BigInteger, nullable=False),
    Index("ix_rejections_credential_at", "credential_id", "at"),
    Index("ix_rejections_store_at", "store_id", "at"),
)

# ---------------------------------------------------------------------------
# Forwarding (lrs.forwarding): targets are events in the log; this table is their
# current state, written in the same transaction, plus what the log must never
# hold: the secret (a webhook's signing key, a target LRS's password or token).
# ---------------------------------------------------------------------------

forwarding_targets = Table(
    "forwarding_targets",
    metadata,
    Column("id", String(48), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    # The target as configured, secrets left out (the event's payload).
    Column("config", Text, nullable=False),
    Column("secret", Text, nullable=True),
    Column("paused", Boolean, nullable=False),
    Column("paused_reason", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

# How delivery to each target goes (the forwarder writes it; the checkpoint itself
# is the consumer platform's, in projection_checkpoints as "forwarding:<id>").
forwarding_status = Table(
    "forwarding_status",
    metadata,
    Column("target_id", String(48), primary_key=True),
    Column("last_success_at", String(32), nullable=True),
    Column("last_attempt_at", String(32), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", String(32), nullable=True),
    Column("failing_since", String(32), nullable=True),
    Column("retries", Integer, nullable=False),
    Column("next_attempt_at", String(32), nullable=True),
    Column("delivered", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("last_rejection", Text, nullable=True),
)
