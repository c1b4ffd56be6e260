"""Competency configuration: frameworks, alignments, role profiles and teams.

All of it is written as events in the store's hash chain (stream ``competency``), so
that a replay reproduces the configuration of any past moment. This package is pure
where it can be (parsing and validating what an administrator uploads) and writes
the events through a LogWriter; the competency view (projections.competency) folds
them together with the statements.
"""

from __future__ import annotations

FRAMEWORK_IMPORTED = "competency.framework.imported"
FRAMEWORK_RETIRED = "competency.framework.retired"
ALIGNMENT_SET = "competency.alignment.set"
ALIGNMENT_REMOVED = "competency.alignment.removed"
ROLE_SET = "competency.role.set"
ROLE_REMOVED = "competency.role.removed"
TEAM_SET = "competency.team.set"
TEAM_REMOVED = "competency.team.removed"

CONFIG_EVENTS = frozenset(
    (
        FRAMEWORK_IMPORTED, FRAMEWORK_RETIRED, ALIGNMENT_SET, ALIGNMENT_REMOVED,
        ROLE_SET, ROLE_REMOVED, TEAM_SET, TEAM_REMOVED,
    )
)
# Every configuration event of a store is in this one stream: its order is the
# order the configuration changed in, and a write validates against its fold.
STREAM = "competency"

# The store's competency settings: an access policy read when answering (the view does
# not fold it), so they live in a small stream of their own.
SETTINGS_CHANGED = "competency.settings.changed"
SETTINGS_STREAM = "competency:settings"
