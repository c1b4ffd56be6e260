"""Erasure of a person's data (lrs.erasure), for credentials with the ``admin`` scope:
POST /admin/erasures, with ``dryRun`` to see what would go first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import App, Auth, run
from api.routers.admin import _not_from_another_site, _require_admin
from lrs import erasure
from lrs.credentials import STORE_ID_PATTERN as STORE_ID
from lrs.errors import Conflict
from lrs.xapi.erasure import parse_agent
from projections.erasure import reset_views, view_changes, view_rows
from projections.runner import Runner

router = APIRouter(
    prefix="/admin", tags=["administration"], dependencies=[Depends(_not_from_another_site)]
)


class ErasureIn(BaseModel):
    agent: Any = Field(
        description="The person: an xAPI Agent (or identified Group) with an identifier "
        "(mbox, mbox_sha1sum, openid or account)",
        examples=[{"mbox": "mailto:ann@example.com"}],
    )
    legalBasis: str | None = Field(
        None, max_length=erasure.LEGAL_BASIS_MAX,
        description="Why the data is erased (recorded in the log); required unless dryRun",
        examples=["GDPR Art. 17(1)(b): consent withdrawn, request #4711"],
    )
    dryRun: bool = Field(False, description="List what would be affected; write nothing")
    store: str | None = Field(None, pattern=STORE_ID, description="Default: the caller's store")


class StatementRoles(BaseModel):
    id: str
    roles: list[str]


class AffectedStatements(BaseModel):
    erased: list[StatementRoles] = Field(description="Erased whole (actor, object, SubStatement, authority)")
    redacted: list[StatementRoles] = Field(description="The person replaced by a placeholder Agent")


class ErasureOut(BaseModel):
    dryRun: bool
    store: str
    counts: dict[str, int]
    statements: AffectedStatements
    documents: list[str]
    attachments: list[str]
    otherEvents: list[str] = Field(
        default_factory=list, description="type@position of other events naming the person "
        "(team memberships, opt-outs, competency teams, forwarding filters): the person is replaced")
    viewRows: dict[str, int] | None = Field(None, description="Dry run: view rows keyed by the person")
    viewChanges: dict[str, dict[str, int]] | None = Field(
        None, description="Dry run: rows each view would lose and gain (folded from the redacted log "
        "in a scratch database): the person's own and every aggregate they count in")
    erasure: str | None = Field(None, description="The lrs.erasure event's id")
    position: int | None = Field(None, description="The lrs.erasure event's log position")
    fingerprint: str | None = Field(None, description="HMAC-SHA-256 of the person, keyed with LRS_PSEUDONYM_SECRET")


@router.post(
    "/erasures", response_model=ErasureOut, response_model_exclude_none=True,
    responses={
        404: {"description": "No such store"},
        409: {"description": "No LRS_PSEUDONYM_SECRET is configured (an erasure needs it)"},
        503: {"description": "The log is busy; retry shortly"},
    },
    summary="Erase a person's data from a store (or, with dryRun, list what would go)",
    description=(
        "Statements the person is the actor, object, authority of (or anywhere in a "
        "SubStatement) are erased whole; in others (instructor, team, Group member, "
        "contextAgents/contextGroups) the person is replaced with a placeholder Agent, "
        "as in other events naming them (team memberships, opt-outs, competency teams, "
        "forwarding filters). "
        "Their State and Agent Profile documents and the attachments only erased "
        "statements carried go too; every view is folded again from the redacted log. "
        "An lrs.erasure event records who asked, the legal basis, a keyed fingerprint "
        "of the person and counts, never the identity; `lrs verify` keeps passing."
    ),
)
async def create_erasure(body: ErasureIn, app: App, credential: Auth) -> dict[str, Any]:
    store_id = body.store or credential.store_id
    _require_admin(credential, store_id)
    agent = parse_agent(body.agent, "agent")
    secret = app.settings.pseudonym_secret.encode() if app.settings.pseudonym_secret else None
    projections = list(app.views.projections.values())
    if body.dryRun:
        found = await run(app, erasure.plan, app.engine, store_id, agent, secret, heavy=True)
        rows = await run(app, view_rows, app.engine, projections, store_id, agent, heavy=True)
        changes = await run(app, view_changes, app.engine, projections, found, heavy=True)
        return {"dryRun": True, **found.as_dict(), "viewRows": rows, "viewChanges": changes}
    legal_basis = erasure.check_legal_basis(body.legalBasis)
    if secret is None:
        raise Conflict(
            "this server has no LRS_PSEUDONYM_SECRET: an erasure records a fingerprint of the "
            "person keyed with it, so it must be set (and kept) first"
        )
    request = erasure.Request(store_id, agent, legal_basis, {"credential": credential.id})

    def erase_and_reset() -> erasure.Outcome:
        outcome = erasure.erase(
            app.engine, request, secret, lock_timeout_seconds=app.settings.lock_timeout_seconds
        )
        # A runner of its own: the views' worker (this process's or the projector's)
        # sees its checkpoints back at 0 and folds them from the redacted log.
        reset_views(Runner(app.engine, projections))
        return outcome

    outcome = await run(app, erase_and_reset, heavy=True)
    app.views.notify()
    return {
        "dryRun": False, **outcome.plan.as_dict(), "erasure": outcome.erasure_event_id,
        "position": outcome.position, "fingerprint": outcome.fingerprint,
    }
