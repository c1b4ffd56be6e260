"""Settings, read once from ``LRS_*`` environment variables.

Nothing here reads the environment at import time: call :func:`Settings.from_env`
(the CLI does) or build a :class:`Settings` directly (tests do).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")


def _default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'lrs.sqlite3').as_posix()}"


def _as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _as_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Every tunable of the LRS. The README lists each with its variable."""

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    # A read replica (a PostgreSQL hot standby, or any copy that replays the
    # primary's commits in order): statement queries, /activities, /agents and view
    # reads go there; writes, documents and credentials stay on the primary.
    database_read_url: str | None = None
    # How long a read the replica has not replayed yet (a view's minPosition, a page
    # of a statement query bounded beyond the replica's head) waits for it before the
    # primary answers instead.
    read_replica_wait_seconds: float = 0.5
    host: str = "127.0.0.1"
    port: int = 8000
    # Where clients reach the LRS; used for credential authorities and the banner.
    public_url: str = ""
    bootstrap_key: str | None = None
    bootstrap_secret: str | None = None
    # Development mode: a weak bootstrap secret only warns (lrs.credentials.weak_secret).
    dev: bool = False
    # Requests larger than this are answered 413 (xAPI Communication 3.2).
    max_body_bytes: int = 20 * 1024 * 1024
    max_statements_per_request: int = 5000
    # Documents (State, Activity and Agent Profiles) larger than this are answered
    # 413: each POST merges the stored document whole.
    max_document_bytes: int = 8 * 1024 * 1024
    # Largest page GET /statements returns; limit=0 means this value.
    statements_page_max: int = 500
    cors_origins: tuple[str, ...] = ("*",)
    # Seconds a verified Basic credential stays in the in-memory cache.
    auth_cache_seconds: float = 300.0
    # Failed logins allowed per key and per client address in a window (0: no limit);
    # beyond, 429 until the window lets another one in.
    auth_failures_per_key: int = 10
    auth_failures_per_address: int = 30
    auth_failure_window_seconds: float = 60.0
    # Proxies (addresses or networks) whose X-Forwarded-For names the client; none by
    # default, so the client is whoever opened the connection.
    trusted_proxies: tuple[str, ...] = ()
    # Seconds a writer waits for the log's write lock before giving up.
    lock_timeout_seconds: float = 30.0
    log_level: str = "info"
    # Bearer tokens from an OpenID Connect / OAuth 2 issuer (off unless a JWKS is set).
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_file: str | None = None
    oidc_algorithms: tuple[str, ...] = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
    # Claims that carry the store and the xAPI scopes of a token.
    oidc_store_claim: str = "lrs_store"
    oidc_scope_claim: str = "scope"
    # Per-credential requests per second (0: no limit) and the burst allowed.
    rate_limit_per_second: float = 0.0
    rate_limit_burst: int = 0
    # Fold projections inside `lrs serve` (embedded use); off when a separate
    # `lrs projections run` worker does it.
    projections_in_process: bool = True
    # How long a view request with minPosition waits before answering 503.
    view_wait_seconds: float = 5.0
    # Server processes of `lrs serve` (PostgreSQL only: SQLite has one writer).
    workers: int = 1
    # Logs as JSON lines (with request ids) or text; access log lines on or off.
    log_format: str = "text"
    access_log: bool = False
    # Bearer token Prometheus may scrape /metrics with (else an admin credential).
    metrics_token: str | None = None
    # /ready answers 503 while a view is more than this many events behind the log.
    ready_max_lag: int = 10_000
    # On SIGTERM, how long in-flight requests may take before the server stops.
    shutdown_seconds: float = 30.0
    # The xAPI version a refusal names when the request named none the LRS serves
    # (a missing or unknown X-Experience-API-Version): clients of that generation
    # read it. 1.0.3 is also within what 2.0 clients accept (Communication 3.3).
    default_xapi_version: str = "1.0.3"
    # Signed checkpoints (lrs.audit.checkpoints): the Ed25519 private key, as PEM or
    # base64 text, or a file holding it; never stored in the database. With an
    # interval above 0, `lrs serve` signs every store's head that often.
    checkpoint_key: str | None = None
    checkpoint_key_file: str | None = None
    checkpoint_interval_seconds: float = 0.0
    # Rejected statement requests kept per credential (0: none), for how many days,
    # the first bytes of each body kept, and stores that keep none (lrs.rejections).
    rejections_keep: int = 20
    rejections_days: float = 7.0
    rejections_body_bytes: int = 4096
    rejections_off_stores: tuple[str, ...] = ()
    # Forwarding (lrs.forwarding, projections.forwarding): run the forwarder inside
    # `lrs serve` (off when the projector worker does it); send to private, loopback
    # and link-local addresses (refused by default: SSRF); statements per request;
    # seconds a request may take; the longest wait between retries; how long a
    # target may keep failing before it is paused; how much of an answer is read.
    forwarding_in_process: bool = True
    forwarding_allow_private: bool = False
    forwarding_batch: int = 500
    forwarding_timeout_seconds: float = 10.0
    forwarding_retry_max_seconds: float = 300.0
    forwarding_pause_after_seconds: float = 86_400.0
    forwarding_response_bytes: int = 65_536
    # Seals target secrets at rest (lrs.forwarding.sealing): one key, or several
    # separated by commas (the first seals, all open); None keeps them as given.
    forwarding_key: str | None = None
    # Competency evidence below the mastery threshold (failed attempts) is shown to
    # readers with the whole-store scope (competency/read, all/read) when true; never
    # to competency/read/mine, whatever this says (CaSS's privacy caution).
    competency_negative_evidence: bool = True
    # Key of the pseudonymous person ids analytics answers show (HMAC-SHA-256). Unset:
    # a random key per process, so the ids change when the server restarts.
    pseudonym_secret: str | None = None

    _ENV_NAMES = {
        "data_dir": "LRS_DATA_DIR",
        "database_url": "LRS_DATABASE_URL",
        "database_read_url": "LRS_DATABASE_READ_URL",
        "read_replica_wait_seconds": "LRS_READ_REPLICA_WAIT_SECONDS",
        "host": "LRS_HOST",
        "port": "LRS_PORT",
        "public_url": "LRS_PUBLIC_URL",
        "bootstrap_key": "LRS_BOOTSTRAP_KEY",
        "bootstrap_secret": "LRS_BOOTSTRAP_SECRET",
        "pseudonym_secret": "LRS_PSEUDONYM_SECRET",
        "dev": "LRS_DEV",
        "max_body_bytes": "LRS_MAX_BODY_BYTES",
        "max_statements_per_request": "LRS_MAX_STATEMENTS_PER_REQUEST",
        "max_document_bytes": "LRS_MAX_DOCUMENT_BYTES",
        "statements_page_max": "LRS_STATEMENTS_PAGE_MAX",
        "cors_origins": "LRS_CORS_ORIGINS",
        "auth_cache_seconds": "LRS_AUTH_CACHE_SECONDS",
        "auth_failures_per_key": "LRS_AUTH_FAILURES_PER_KEY",
        "auth_failures_per_address": "LRS_AUTH_FAILURES_PER_ADDRESS",
        "auth_failure_window_seconds": "LRS_AUTH_FAILURE_WINDOW_SECONDS",
        "trusted_proxies": "LRS_TRUSTED_PROXIES",
        "lock_timeout_seconds": "LRS_LOCK_TIMEOUT_SECONDS",
        "log_level": "LRS_LOG_LEVEL",
        "oidc_issuer": "LRS_OIDC_ISSUER",
        "oidc_audience": "LRS_OIDC_AUDIENCE",
        "oidc_jwks_url": "LRS_OIDC_JWKS_URL",
        "oidc_jwks_file": "LRS_OIDC_JWKS_FILE",
        "oidc_algorithms": "LRS_OIDC_ALGORITHMS",
        "oidc_store_claim": "LRS_OIDC_STORE_CLAIM",
        "oidc_scope_claim": "LRS_OIDC_SCOPE_CLAIM",
        "rate_limit_per_second": "LRS_RATE_LIMIT_PER_SECOND",
        "rate_limit_burst": "LRS_RATE_LIMIT_BURST",
        "projections_in_process": "LRS_PROJECTIONS_IN_PROCESS",
        "view_wait_seconds": "LRS_VIEW_WAIT_SECONDS",
        "workers": "LRS_WORKERS",
        "log_format": "LRS_LOG_FORMAT",
        "access_log": "LRS_ACCESS_LOG",
        "metrics_token": "LRS_METRICS_TOKEN",
        "ready_max_lag": "LRS_READY_MAX_LAG",
        "shutdown_seconds": "LRS_SHUTDOWN_SECONDS",
        "default_xapi_version": "LRS_DEFAULT_XAPI_VERSION",
        "checkpoint_key": "LRS_CHECKPOINT_KEY",
        "checkpoint_key_file": "LRS_CHECKPOINT_KEY_FILE",
        "checkpoint_interval_seconds": "LRS_CHECKPOINT_INTERVAL_SECONDS",
        "rejections_keep": "LRS_REJECTIONS_KEEP",
        "rejections_days": "LRS_REJECTIONS_DAYS",
        "rejections_body_bytes": "LRS_REJECTIONS_BODY_BYTES",
        "rejections_off_stores": "LRS_REJECTIONS_OFF_STORES",
        "forwarding_in_process": "LRS_FORWARDING_IN_PROCESS",
        "forwarding_allow_private": "LRS_FORWARDING_ALLOW_PRIVATE",
        "forwarding_batch": "LRS_FORWARDING_BATCH",
        "forwarding_timeout_seconds": "LRS_FORWARDING_TIMEOUT_SECONDS",
        "forwarding_retry_max_seconds": "LRS_FORWARDING_RETRY_MAX_SECONDS",
        "forwarding_pause_after_seconds": "LRS_FORWARDING_PAUSE_AFTER_SECONDS",
        "forwarding_response_bytes": "LRS_FORWARDING_RESPONSE_BYTES",
        "forwarding_key": "LRS_FORWARDING_KEY",
        "competency_negative_evidence": "LRS_COMPETENCY_NEGATIVE_EVIDENCE",
    }

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", _default_database_url(self.data_dir))
        if not self.public_url:
            object.__setattr__(self, "public_url", f"http://{self.host}:{self.port}")
        if self.statements_page_max < 1:
            raise ValueError("LRS_STATEMENTS_PAGE_MAX must be at least 1")
        if self.auth_failure_window_seconds <= 0:
            raise ValueError("LRS_AUTH_FAILURE_WINDOW_SECONDS must be more than 0")
        if self.read_replica_wait_seconds < 0:
            raise ValueError("LRS_READ_REPLICA_WAIT_SECONDS must be 0 or more")
        if self.workers < 1:
            raise ValueError("LRS_WORKERS must be at least 1")
        if self.log_format not in ("text", "json"):
            raise ValueError("LRS_LOG_FORMAT must be text or json")
        if self.rejections_keep < 0 or self.rejections_days < 0 or self.rejections_body_bytes < 0:
            raise ValueError(
                "LRS_REJECTIONS_KEEP, LRS_REJECTIONS_DAYS and LRS_REJECTIONS_BODY_BYTES must be 0 or more"
            )
        if self.checkpoint_interval_seconds < 0:
            raise ValueError("LRS_CHECKPOINT_INTERVAL_SECONDS must be 0 (off) or more")
        if self.checkpoint_interval_seconds > 0 and not (self.checkpoint_key or self.checkpoint_key_file):
            raise ValueError(
                "LRS_CHECKPOINT_INTERVAL_SECONDS needs a signing key: LRS_CHECKPOINT_KEY "
                "or LRS_CHECKPOINT_KEY_FILE"
            )
        if self.default_xapi_version not in ("1.0.3", "2.0.0"):
            raise ValueError("LRS_DEFAULT_XAPI_VERSION must be 1.0.3 or 2.0.0")
        if not 1 <= self.forwarding_batch <= 5000:
            raise ValueError("LRS_FORWARDING_BATCH must be 1 to 5000")
        # Not imported from lrs.forwarding.sealing: settings stay free of the crypto stack.
        if any(len(k.strip()) < 16 for k in (self.forwarding_key or "").split(",") if k.strip()):
            raise ValueError("LRS_FORWARDING_KEY: each key must be at least 16 characters")

    @classmethod
    def env_names(cls) -> dict[str, str]:
        return dict(cls._ENV_NAMES)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from a mapping of ``LRS_*`` variables (default: ``os.environ``)."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, var in cls._ENV_NAMES.items():
            if var not in env:
                continue
            raw = env[var]
            kind = types[name]
            try:
                kwargs[name] = _convert(kind, raw)
            except ValueError as exc:
                raise ValueError(f"{var}: {exc}") from None
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _convert(kind: object, raw: str) -> object:
    text = str(kind)
    if "Path" in text:
        return Path(raw)
    if text == "int":
        return int(raw)
    if text == "float":
        return float(raw)
    if text == "bool":
        return _as_bool(raw)
    if "tuple" in text:
        return _as_list(raw)
    if raw == "" and "None" in text:
        return None
    return raw


__all__ = ["Settings"]
