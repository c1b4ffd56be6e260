"""The error a bad target configuration raises: the property path and the rule."""

from __future__ import annotations

from lrs.errors import BadRequest


class InvalidTarget(BadRequest):
    code = "invalid_forwarding_target"

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}" if path else rule)
        self.path = path
        self.rule = rule

    def details(self) -> dict[str, object]:
        return {"path": self.path, "rule": self.rule}
