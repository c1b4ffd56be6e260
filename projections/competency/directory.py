"""The competency configuration a reader picks from: the roles and teams of a store
(their ids and names, how many requirements or members each has), as the view has
folded them. People are not listed here: a team's members are a whole-store read
(the heat map)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from projections.competency.schema import ROLES, TEAM_MEMBERS, TEAMS


def roles(conn: Connection, store: str) -> dict[str, Any]:
    rows = conn.execute(select(ROLES.sql).where(ROLES.sql.c.store_id == store).order_by(ROLES.sql.c.role_id))
    return {"roles": [{"id": r.role_id, "name": r.name, "source": r.source, "requirements": len(r.requirements or [])}
                      for r in rows]}


def teams(conn: Connection, store: str) -> dict[str, Any]:
    members = (select(TEAM_MEMBERS.sql.c.team_id, func.count().label("n"))
               .where(TEAM_MEMBERS.sql.c.store_id == store).group_by(TEAM_MEMBERS.sql.c.team_id).subquery())
    rows = conn.execute(
        select(TEAMS.sql.c.team_id, TEAMS.sql.c.name, func.coalesce(members.c.n, 0).label("members"))
        .select_from(TEAMS.sql.outerjoin(members, members.c.team_id == TEAMS.sql.c.team_id))
        .where(TEAMS.sql.c.store_id == store).order_by(TEAMS.sql.c.team_id))
    return {"teams": [{"id": r.team_id, "name": r.name, "members": int(r.members)} for r in rows]}
