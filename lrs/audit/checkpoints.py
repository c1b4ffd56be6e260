"""Signed checkpoints: an Ed25519 signature over a store's head hash, kept in the log.

Whoever can write the database can rewrite a whole chain and recompute every hash;
a checkpoint signed by a key the database never holds makes that detectable up to
the signed position. ``lrs checkpoint`` appends one ``lrs.checkpoint`` event per
store whose head is not already a checkpoint. The event's ``prev_hash`` is the hash
it signs, so the checkpoint itself is chained, and it travels in exports.

The signed message is the UTF-8 text ``lrs-checkpoint-v1|STORE|POSITION|HASH``.
Keys: a PEM file (PKCS#8 private / SubjectPublicKeyInfo public, what
``openssl genpkey -algorithm ed25519`` writes) or the raw 32 bytes in base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, func, select

from lrs import log
from lrs.config import Settings
from lrs.events import NewEvent, dumps
from lrs.schema import events, stores

logger = logging.getLogger("lrs.checkpoints")

CHECKPOINT = "lrs.checkpoint"
ALGORITHM = "Ed25519"


class KeyProblem(ValueError):
    """A key that cannot be read (the message says why, never the key)."""


def message(store_id: str, position: int, head: str) -> bytes:
    return f"lrs-checkpoint-v1|{store_id}|{position}|{head}".encode()


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key(text: str | bytes) -> Ed25519PrivateKey:
    data = text.encode() if isinstance(text, str) else text
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(data.strip(), validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise KeyProblem(f"not an Ed25519 private key (PEM or 32 bytes in base64): {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem("the private key is not an Ed25519 key")
    return key


def public_key(text: str | bytes) -> Ed25519PublicKey:
    data = text.encode() if isinstance(text, str) else text
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise KeyProblem(f"not an Ed25519 public key (PEM or 32 bytes in base64): {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem("the public key is not an Ed25519 key")
    return key


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def signing_key(settings: Settings) -> Ed25519PrivateKey | None:
    """The key LRS_CHECKPOINT_KEY or LRS_CHECKPOINT_KEY_FILE names (None: neither)."""
    if settings.checkpoint_key:
        return private_key(settings.checkpoint_key)
    if settings.checkpoint_key_file:
        try:
            return private_key(Path(settings.checkpoint_key_file).read_bytes())
        except OSError as exc:
            raise KeyProblem(f"LRS_CHECKPOINT_KEY_FILE: {exc.strerror}: {settings.checkpoint_key_file}") from None
    return None


class Schedule:
    """Signs every store's head every ``interval`` seconds, on a thread of its own
    (`lrs serve` with LRS_CHECKPOINT_INTERVAL_SECONDS). A failed round is logged and
    the next one tried: a busy log must not stop the server."""

    def __init__(self, engine: Engine, key: Ed25519PrivateKey, interval: float) -> None:
        self.engine = engine
        self.key = key
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lrs-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for signed in sign_heads(self.engine, self.key, actor="schedule"):
                    logger.info("checkpoint: store %s signed at position %s", signed.store_id, signed.position)
            except Exception:
                logger.exception("checkpoint round failed; trying again in %s s", self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def checkpoint_schedule(settings: Settings, engine: Engine) -> Schedule | None:
    """The schedule LRS_CHECKPOINT_INTERVAL_SECONDS asks for (None: off)."""
    if settings.checkpoint_interval_seconds <= 0:
        return None
    key = signing_key(settings)
    assert key is not None  # Settings refuses an interval without a key
    return Schedule(engine, key, settings.checkpoint_interval_seconds)


@dataclass(frozen=True)
class Signed:
    store_id: str
    position: int
    head: str
    checkpoint_position: int


def sign_heads(
    engine: Engine, key: Ed25519PrivateKey, *, store_ids: Iterable[str] | None = None,
    actor: str = "system", lock_timeout_seconds: float = 30.0,
) -> list[Signed]:
    """Sign each store's head (every store by default) and append the checkpoints,
    in one transaction holding the log's lock (so the head cannot move meanwhile).
    A store whose newest event is already a checkpoint, or that has no event, is
    left alone."""
    signer = key_id(key.public_key())
    done: list[Signed] = []
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        conn = writer.conn
        names = sorted(store_ids) if store_ids is not None else sorted(
            {row[0] for row in conn.execute(select(stores.c.id))}
            | {row[0] for row in conn.execute(select(events.c.store_id).distinct())}
        )
        for store_id in names:
            head = conn.execute(
                select(events.c.position, events.c.hash, events.c.type)
                .where(events.c.store_id == store_id)
                .order_by(events.c.position.desc())
                .limit(1)
            ).first()
            if head is None or head.type == CHECKPOINT:
                continue
            signature = key.sign(message(store_id, head.position, head.hash))
            data = {
                "store": store_id, "position": head.position, "hash": head.hash,
                "algorithm": ALGORITHM, "key": signer,
                "signature": base64.b64encode(signature).decode("ascii"),
            }
            (event,) = writer.append(store_id, [NewEvent(
                CHECKPOINT, "checkpoint", f"checkpoint:{head.position}", dumps(data),
                dumps({"actor": actor}),
            )])
            done.append(Signed(store_id, head.position, head.hash, event.position))
    return done


class CheckpointError(ValueError):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


@dataclass
class Signatures:
    """What the checkpoints of a log (or an export) prove, store by store."""

    # store -> the last position a valid checkpoint by the key signs
    signed: dict[str, int] = field(default_factory=dict)
    # store -> its last position
    last: dict[str, int] = field(default_factory=dict)
    by_other_keys: int = 0

    def summary(self) -> str:
        parts = []
        for store in sorted(self.last):
            if store in self.signed:
                parts.append(f"{store}: signed up to position {self.signed[store]} (its last is {self.last[store]})")
            else:
                parts.append(f"{store}: not signed by this key")
        text = "checkpoints: " + "; ".join(parts)
        if self.by_other_keys:
            text += f"; {self.by_other_keys} checkpoint(s) by other keys not checked"
        return text


class Checker:
    """Feed it the rows of a verified chain in position order (export column order:
    position, store_id, ..., type at 5, data at 8, prev_hash at 10)."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self.key = key
        self.key_id = key_id(key)
        self.result = Signatures()

    def row(self, row: list[Any] | tuple[Any, ...]) -> None:
        position, store_id = row[0], row[1]
        if row[5] == CHECKPOINT:
            self._checkpoint(position, store_id, orjson.loads(row[8]), row[10])
        self.result.last[store_id] = position

    def _checkpoint(self, position: int, store_id: str, data: Any, prev_hash: str) -> None:
        if not isinstance(data, dict):
            raise CheckpointError(position, "checkpoint: its data is not an object")
        if data.get("key") != self.key_id:
            self.result.by_other_keys += 1
            return
        signed = data.get("position")
        if not isinstance(signed, int) or data.get("store") != store_id or signed != self.result.last.get(store_id) or data.get("hash") != prev_hash:
            raise CheckpointError(position, "checkpoint: it does not sign the store's event before it")
        try:
            self.key.verify(base64.b64decode(str(data.get("signature")), validate=True),
                            message(store_id, signed, prev_hash))
        except (InvalidSignature, binascii.Error, ValueError):
            raise CheckpointError(position, "checkpoint: the signature does not verify") from None
        self.result.signed[store_id] = signed


def check_log(engine: Engine, key: Ed25519PublicKey, store_id: str | None = None) -> Signatures:
    """Check the checkpoints of a database's log (whose chain verified already).

    Checkpoints are few: each is read with the position of its store's event before
    it, and then every store's last position."""
    checker = Checker(key)
    query = select(
        events.c.position, events.c.store_id, events.c.type, events.c.data, events.c.prev_hash
    ).where(events.c.type == CHECKPOINT)
    lasts = select(events.c.store_id, func.max(events.c.position)).group_by(events.c.store_id)
    if store_id is not None:
        query = query.where(events.c.store_id == store_id)
        lasts = lasts.where(events.c.store_id == store_id)
    with engine.connect() as conn:
        for position, store, type_, data, prev_hash in conn.execute(query.order_by(events.c.position)).all():
            before = conn.execute(
                select(events.c.position)
                .where(events.c.store_id == store, events.c.position < position)
                .order_by(events.c.position.desc()).limit(1)
            ).scalar()
            if before is not None:
                checker.result.last[store] = before
            checker.row((position, store, None, None, None, type_, None, None, data, None, prev_hash))
        for store, position in conn.execute(lasts).all():
            checker.result.last[store] = position
    return checker.result
