"""Errors the LRS raises. They know nothing of HTTP: ``api/errors.py`` maps them."""

from __future__ import annotations


class LrsError(Exception):
    """Base of every error the LRS reports to a client on purpose."""

    code = "lrs_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, object]:
        return {}


class BadRequest(LrsError):
    """A request the xAPI contract says to reject (malformed, unknown parameter...)."""

    code = "bad_request"


class InvalidParameter(BadRequest):
    code = "invalid_parameter"

    def __init__(self, parameter: str, rule: str) -> None:
        super().__init__(f"parameter {parameter!r}: {rule}")
        self.parameter = parameter
        self.rule = rule

    def details(self) -> dict[str, object]:
        return {"parameter": self.parameter, "rule": self.rule}


class InvalidStatement(BadRequest):
    """A statement breaks a rule of xAPI Data; ``path`` names the property."""

    code = "invalid_statement"

    def __init__(self, path: str, rule: str) -> None:
        super().__init__(f"{path}: {rule}" if path else rule)
        self.path = path
        self.rule = rule

    def prefixed(self, prefix: str) -> InvalidStatement:
        path = f"{prefix}{'.' if self.path and not self.path.startswith('[') else ''}{self.path}"
        return InvalidStatement(path, self.rule)

    def details(self) -> dict[str, object]:
        return {"path": self.path, "rule": self.rule}


class InvalidDocument(BadRequest):
    code = "invalid_document"


class VersionNotSupported(BadRequest):
    code = "unsupported_version"


class Unauthorized(LrsError):
    code = "unauthorized"
    # The WWW-Authenticate challenge a 401 carries (RFC 7235).
    challenge = 'Basic realm="LRS", charset="UTF-8"'


class InvalidToken(Unauthorized):
    """A Bearer token was refused (RFC 6750 3.1)."""

    code = "invalid_token"
    challenge = 'Bearer realm="LRS", error="invalid_token"'


class Forbidden(LrsError):
    code = "forbidden"


class NotFound(LrsError):
    code = "not_found"


class Conflict(LrsError):
    code = "conflict"


class PreconditionFailed(LrsError):
    code = "precondition_failed"


class PayloadTooLarge(LrsError):
    code = "payload_too_large"


class TooManyRequests(LrsError):
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(LrsError):
    """The LRS cannot answer now (lock timeout, view not caught up)."""

    code = "unavailable"


class LogIntegrityError(LrsError):
    """The hash chain or the positions of the event log do not verify."""

    code = "log_integrity"

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason
