"""Alembic is the only DDL path: the migrated database must match lrs.schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lrs.migrate import current_revision, head_revision
from migrations.models import target_metadata


def test_migrated_schema_matches_the_table_definitions(engine):
    """What `alembic check` checks: a table declared but not migrated (or migrated
    differently) fails here, for the log, the index and every projection."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, target_metadata())
    assert diff == []


def test_database_is_at_the_head_revision(engine):
    assert current_revision(engine) == head_revision()


def test_0008_credits_existing_attachment_bytes_to_the_authority_that_sent_them(
    engine, monkeypatch
):
    """Bytes stored before attachment_uploads existed: an Attachment without a fileUrl
    came with its bytes (Communication 1.5.2), so its statement's authority sent them;
    bytes that only came next to a fileUrl are credited to no one."""
    import hashlib

    from alembic import command
    from sqlalchemy import select

    from lrs import statements as service
    from lrs.credentials import create_credential, ensure_default_store
    from lrs.migrate import alembic_config, upgrade
    from lrs.schema import attachment_uploads
    from lrs.xapi.agents import authority_key, key_hash
    from lrs.xapi.attachments import AttachmentData
    from tests.api.access_helpers import cheapen_password_hashing

    cheapen_password_hashing(monkeypatch)
    ensure_default_store(engine)
    sender, by_url_too, namer = (create_credential(engine)[0] for _ in range(3))
    essay, picture = b"an essay", b"a picture"

    def attachment(content: bytes, **extra: str) -> dict[str, object]:
        return {"usageType": "http://example.com/usage", "display": {"en": "a"},
                "contentType": "text/plain", "length": len(content),
                "sha2": hashlib.sha256(content).hexdigest().upper(), **extra}

    def send(credential, content: bytes | None, **extra: str) -> None:  # type: ignore[no-untyped-def]
        statement = {"actor": {"mbox": "mailto:a@example.com"},
                     "verb": {"id": "http://example.com/verbs/sent"},
                     "object": {"id": "http://example.com/a"},
                     "attachments": [attachment(content or essay, **extra)]}
        data = {}
        if content is not None:
            sha2 = hashlib.sha256(content).hexdigest()
            data[sha2] = AttachmentData(sha2, content, "text/plain")
        prepared = service.prepare([statement], "1.0.3", batch=False, attachment_data=data)
        service.write(engine, credential, prepared, version="1.0.3", attachment_data=data)

    send(sender, essay)
    send(by_url_too, picture, fileUrl="http://example.com/picture")
    send(namer, None, fileUrl="http://example.com/essay")

    config = alembic_config()
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    upgrade(engine)
    with engine.connect() as conn:
        rows = set(conn.execute(select(attachment_uploads)).all())
    assert rows == {
        ("default", hashlib.sha256(essay).hexdigest(), key_hash(authority_key(sender.authority)))
    }
