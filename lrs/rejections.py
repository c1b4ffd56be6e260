"""The last rejected statement requests of each credential.

When a Learning Record Provider's statements are refused (400), its integrator has
the error the LRS sent, if the content logged it at all. This keeps, per
credential, the last ``keep`` refusals (reason, the rule's details, the first bytes
of the body) for ``days`` days, so an administrator can show them what was wrong:
``GET /admin/rejections``, ``lrs rejections list``.

Bodies are learners' data: they are cut short, pruned by count and age on every
new refusal (and on every listing), never copied into the log, and a store that
asks for it (LRS_REJECTIONS_OFF_STORES) keeps none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, delete, select

from lrs import clock
from lrs.credentials import Credential
from lrs.schema import rejections


@dataclass(frozen=True)
class Policy:
    keep: int = 20
    days: float = 7.0
    body_bytes: int = 4096
    off_stores: frozenset[str] = frozenset()

    def applies_to(self, store_id: str) -> bool:
        return self.keep > 0 and self.days > 0 and store_id not in self.off_stores


def policy_of(settings: Any) -> Policy:
    return Policy(settings.rejections_keep, settings.rejections_days,
                  settings.rejections_body_bytes, frozenset(settings.rejections_off_stores))


def record(
    engine: Engine, policy: Policy, credential: Credential, *, method: str, status: int,
    reason: str, details: dict[str, Any], body: bytes,
) -> None:
    """Keep one refusal of ``credential``, then prune its older ones."""
    if not policy.applies_to(credential.store_id):
        return
    now = clock.utcnow()
    with engine.begin() as conn:
        conn.execute(rejections.insert().values(
            id=str(uuid.uuid4()), store_id=credential.store_id, credential_id=credential.id,
            key=credential.key, at=clock.format_utc(now), method=method, status=status,
            reason=reason, details=orjson.dumps(details, default=str).decode(),
            body=body[: policy.body_bytes].decode("utf-8", "replace"), body_length=len(body),
        ))
        _prune(conn, policy, now, credential.id)


def _prune(conn: Any, policy: Policy, now: Any, credential_id: str | None = None) -> None:
    cutoff = clock.format_utc(now - timedelta(days=policy.days))
    conn.execute(delete(rejections).where(rejections.c.at < cutoff))
    if credential_id is None:
        return
    kept = select(rejections.c.id).where(rejections.c.credential_id == credential_id).order_by(
        rejections.c.at.desc()
    ).limit(policy.keep)
    conn.execute(delete(rejections).where(
        rejections.c.credential_id == credential_id,
        rejections.c.id.not_in([row[0] for row in conn.execute(kept)]),
    ))


def listing(
    engine: Engine, policy: Policy, *, store_id: str | None = None, key: str | None = None,
) -> list[dict[str, Any]]:
    """Refusals still kept, newest first (a store's, a credential's, or all)."""
    with engine.begin() as conn:
        _prune(conn, policy, clock.utcnow())
        query = select(rejections).order_by(rejections.c.at.desc(), rejections.c.id)
        if store_id is not None:
            query = query.where(rejections.c.store_id == store_id)
        if key is not None:
            query = query.where(rejections.c.key == key)
        return [
            {"at": row.at, "store": row.store_id, "key": row.key, "method": row.method,
             "status": row.status, "reason": row.reason, "details": orjson.loads(row.details),
             "body": row.body, "bodyLength": row.body_length,
             "truncated": row.body_length > policy.body_bytes}
            for row in conn.execute(query)
        ]
