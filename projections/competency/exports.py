"""Competency assertions exported (design §10): returned, never written back to the log
(derived statements in our own log would mix authority and feed back into the view).

- ``xapi``: one statement per cell state, id = UUIDv5 of (store, learner, competency,
  the position that last changed the cell, the flavour): exporting again gives the
  same ids. Flavour ``lcp`` (learner competency profile): proficient is
  ``achievedcompetency``, lapsed ``expiredcompetency``. Flavour ``tla`` (the TLA
  Master Object Model's "Asserted"): ``asserted`` with the ``confidence`` context
  extension in [-1, 1] (+confidence when proficient, -confidence when lapsed) and the
  ``evidence`` extension, resolvable URLs of the active statements; no result (the
  MOM excludes it).
- ``ob3``: one unsigned Open Badges 3.0 ``OpenBadgeCredential`` (an
  ``AchievementCredential``) per proficient cell; ``validFrom`` (and ``awardedDate``)
  is when the cell became proficient and stayed so, ``validUntil`` its expiry.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, select

from projections.competency import logic
from projections.competency.queries import learner_cells, scale_of, valid, when
from projections.competency.schema import EVIDENCE, FRAMEWORKS, ITEMS

NAMESPACE = uuid.UUID("5b0f3f2e-6a2c-5d7e-9c41-2f1f5a3e8c10")
ACHIEVED = "https://w3id.org/xapi/comp/verbs/achievedcompetency"
EXPIRED = "https://w3id.org/xapi/comp/verbs/expiredcompetency"
COMPETENCY_TYPE = "https://w3id.org/xapi/comp/activities/competency"
# TLA MOM (MOM_Spec.md, 5.1 "Asserted").
ASSERTED = "https://w3id.org/xapi/tla/verbs/asserted"
TLA_COMPETENCY_TYPE = "https://w3id.org/xapi/tla/activity-types/competency"
TLA_EVIDENCE = "https://w3id.org/xapi/tla/extensions/evidence"
FLAVOURS = ("lcp", "tla")
OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def _framework_titles(conn: Connection, store: str) -> dict[str, tuple[str, str]]:
    """framework hash -> (title, format)."""
    f = FRAMEWORKS.sql
    return {r.framework_hash: (r.title, r.format)
            for r in conn.execute(select(f.c.framework_hash, f.c.title, f.c.format).where(f.c.store_id == store))}


def _evidence(conn: Connection, store: str, learner: str, competency_hash: str, at_us: int,
              as_of: int | None) -> list[dict[str, Any]]:
    e = EVIDENCE.sql
    return [dict(r._mapping) for r in conn.execute(select(e).where(
        e.c.store_id == store, e.c.learner_key == learner, e.c.competency_hash == competency_hash, e.c.t_us <= at_us,
        valid(as_of)))]


def assertions(conn: Connection, store: str, learner: str, agent: dict[str, Any], at_us: int, fmt: str,
               issuer: dict[str, Any], base_url: str, flavour: str = "lcp", as_of: int | None = None) -> dict[str, Any]:
    cells = learner_cells(conn, store, learner, at_us, as_of)
    i = ITEMS.sql
    items = {r.iri_hash: dict(r._mapping) for r in conn.execute(select(i).where(
        i.c.store_id == store, i.c.iri_hash.in_(sorted(cells))))} if cells else {}
    titles, scales = _framework_titles(conn, store), {}  # type: ignore[var-annotated]
    out = []
    for competency_hash in sorted(cells, key=lambda h: items[h]["iri"] if h in items else h):
        cell, comp = cells[competency_hash], items.get(competency_hash)
        if comp is None:
            continue
        state = logic.status(cell, at_us)
        if state not in ("proficient", "lapsed") or (fmt == "ob3" and state != "proficient"):
            continue
        rows = _evidence(conn, store, learner, competency_hash, at_us, as_of)
        evidence = [r["statement_id"] for r in logic.active(rows)[0]]
        scale = scale_of(conn, store, comp["framework_hash"], scales)
        name = f"{store}|{learner}|{competency_hash}|{cell.get('updated_position', cell['t_last_us'])}"
        if fmt == "xapi" and flavour == "tla":
            # Its own ids: an asserted statement is not the achievedcompetency one.
            out.append(_asserted(uuid.uuid5(NAMESPACE, f"{name}|tla"), agent, comp, cell, state, at_us, evidence,
                                 issuer, base_url))
        elif fmt == "xapi":
            out.append(_statement(uuid.uuid5(NAMESPACE, name), agent, comp, cell, state, at_us, evidence, issuer))
        else:
            since = logic.proficient_since(rows, cell["threshold"], at_us)
            out.append(_credential(uuid.uuid5(NAMESPACE, name), agent, comp, cell, since, scale,
                                   titles.get(comp["framework_hash"], ("", "")), evidence, issuer, base_url))
    key = "statements" if fmt == "xapi" else "credentials"
    return {"agent": agent, "format": fmt, **({"flavour": flavour} if fmt == "xapi" else {}), key: out}


def _statement_url(base_url: str, statement_id: str) -> str:
    return f"{base_url}/xapi/statements?statementId={statement_id}"


def _statement(ident: uuid.UUID, agent: dict[str, Any], comp: dict[str, Any], cell: dict[str, Any], state: str,
               at_us: int, evidence: list[str], issuer: dict[str, Any]) -> dict[str, Any]:
    extensions: dict[str, Any] = {"https://w3id.org/xapi/tla/extensions/evidence": evidence}
    if cell["valid_until_us"] is not None:
        extensions[logic.EXPIRES_EXT] = when(cell["valid_until_us"])
    proficient = state == "proficient"
    return {
        "id": str(ident), "actor": agent,
        "verb": {"id": ACHIEVED if proficient else EXPIRED,
                 "display": {"en": "achieved competency" if proficient else "expired competency"}},
        "object": {"objectType": "Activity", "id": comp["iri"],
                   "definition": {"type": COMPETENCY_TYPE, "name": {"en": comp["name"] or comp["code"] or comp["iri"]}}},
        "result": {"success": proficient, "score": {"scaled": round(cell["level"], 6)},
                   "extensions": {logic.CONFIDENCE_EXT: round(logic.confidence(cell, at_us), 6)}},
        "context": {"extensions": extensions},
        "timestamp": when(cell["t_last_positive_us"] if proficient and cell["t_last_positive_us"] else cell["t_last_us"]),
        "authority": issuer,
    }


def _asserted(ident: uuid.UUID, agent: dict[str, Any], comp: dict[str, Any], cell: dict[str, Any], state: str,
              at_us: int, evidence: list[str], issuer: dict[str, Any], base_url: str) -> dict[str, Any]:
    """MOM 5.1 "Asserted": the learner's measure of competence, confidence in [-1, 1]
    (-1 sure they have not, 1 certain they have), evidence as resolvable identifiers."""
    certainty = round(logic.confidence(cell, at_us), 6)
    extensions: dict[str, Any] = {
        logic.CONFIDENCE_EXT: certainty if state == "proficient" else -certainty,
        TLA_EVIDENCE: [_statement_url(base_url, sid) for sid in evidence],
    }
    if cell["valid_until_us"] is not None:
        extensions[logic.EXPIRES_EXT] = when(cell["valid_until_us"])
    return {
        "id": str(ident), "actor": agent,
        "verb": {"id": ASSERTED, "display": {"en": "asserted"}},
        "object": {"objectType": "Activity", "id": comp["iri"],
                   "definition": {"type": TLA_COMPETENCY_TYPE, "name": {"en": comp["name"] or comp["code"] or comp["iri"]}}},
        "context": {"extensions": extensions},
        "timestamp": when(cell["t_last_us"]),
        "authority": issuer,
    }


def _credential(ident: uuid.UUID, agent: dict[str, Any], comp: dict[str, Any], cell: dict[str, Any],
                since_us: int | None, scale: list[dict[str, Any]], framework: tuple[str, str], evidence: list[str],
                issuer: dict[str, Any], base_url: str) -> dict[str, Any]:
    framework_title, framework_format = framework
    # A CASE item is a CFItem (OB3 AlignmentTargetType); a simple framework's, a competency.
    target_type = "CFItem" if framework_format.startswith("case") else "ceasn:Competency"
    achieved = logic.label(cell["level"], scale)
    levels = [{"id": f"{comp['iri']}#level-{n}", "type": ["RubricCriterionLevel"], "name": band["label"]}
              for n, band in enumerate(scale)]
    credential: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": f"urn:uuid:{ident}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.get("id", base_url), "type": ["Profile"], "name": issuer.get("name", "LRS")},
        # When it became proficient (and stayed so); awardedDate keeps that date should a
        # later re-issue move validFrom (OB 3.0 AchievementCredential).
        "validFrom": when(since_us if since_us is not None else cell["t_last_us"]),
        "awardedDate": when(since_us if since_us is not None else cell["t_last_us"]),
        "name": comp["name"] or comp["iri"],
        "credentialSubject": {
            "type": ["AchievementSubject"], "identifier": [_identifier(agent)],
            "achievement": {
                "id": comp["iri"], "type": ["Achievement"], "achievementType": "Competency",
                "name": comp["name"] or comp["iri"], "description": comp["name"] or comp["iri"],
                "criteria": {"narrative": "Proficient by the LRS's competency model (level at or above the "
                                          f"threshold {cell['threshold']}, enough recent evidence)."},
                "humanCode": comp["code"] or None,
                "alignment": [{"type": ["Alignment"], "targetType": target_type,
                               "targetUrl": comp["iri"], "targetName": comp["name"] or comp["iri"],
                               "targetCode": comp["code"] or None, "targetFramework": framework_title or None}],
                "resultDescription": [{"id": f"{comp['iri']}#result", "type": ["ResultDescription"], "name": "Level",
                                       "resultType": "RubricCriterionLevel", "rubricCriterionLevel": levels}] if levels else [],
            },
            "result": [{"type": ["Result"], "resultDescription": f"{comp['iri']}#result",
                        "value": str(round(cell["level"], 4)),
                        **({"achievedLevel": f"{comp['iri']}#level-{[b['label'] for b in scale].index(achieved)}"}
                           if achieved is not None else {})}],
        },
        "evidence": [{"id": _statement_url(base_url, sid), "type": ["Evidence"]} for sid in evidence],
    }
    if cell["valid_until_us"] is not None:
        credential["validUntil"] = when(cell["valid_until_us"])
    return _without_nulls(credential)


def _identifier(agent: dict[str, Any]) -> dict[str, Any]:
    if "mbox" in agent:
        value, kind = agent["mbox"].removeprefix("mailto:"), "emailAddress"
    elif "account" in agent:
        value, kind = f"{agent['account']['homePage']}|{agent['account']['name']}", "identifier"
    else:
        value, kind = agent.get("openid") or agent.get("mbox_sha1sum", ""), "identifier"
    return {"type": "IdentityObject", "hashed": False, "identityHash": value, "identityType": kind}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
