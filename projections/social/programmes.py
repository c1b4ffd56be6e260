"""The people of a KPI programme in a window, for ``/views/social/overview?programme=``
(design part a, the overview; programmes are defined in part b).

A programme is a definition recorded as an event and joined at read time
(``kpi.programme.defined``; projections.kpi): a statement belongs to it when its
object, or a parent, grouping or category activity, is one of its roots, modules
or tags, or the object descends from a root in the activity tree. Its people in a
window are the learners with such a statement on a local day of the window, as
the KPI view holds them. The social overview then describes those people's
collective learning in the window, as ``team=`` does for a team's members: their
social facts are not tied to activities, so the measures cover all their
learning with others in the window, not only on the programme's activities.
"""

from __future__ import annotations

from sqlalchemy import Connection

from projections.kpi.queries import definition
from projections.kpi.scope import Scope
from projections.windows import Period, Window


def learners(conn: Connection, store: str, programme_id: str, window: Window | None) -> set[str]:
    """The programme's learners (agent hashes) in the window; a 400 naming
    ``programme`` when the store defines no such programme."""
    scope = Scope(conn, store, programme_id, definition(conn, store, programme_id)["definition"])
    if window is None:
        return scope.learners()
    return scope.learners(Scope.within(Period(window.label, "range", window.start, window.end)))
