"""Target secrets at rest: sealed with AES-256-GCM under LRS_FORWARDING_KEY.

The forwarder needs a target's secret itself (to sign a webhook's requests, to log
in to another LRS), so it cannot keep a hash; it keeps the secret sealed, and a
copy of the database (a backup, a dump, a replica) does not give it away without
the key, which lives in the settings, not in the database.

``LRS_FORWARDING_KEY`` holds one key or several separated by commas: the first
seals, every one of them opens (rotation: put the new key first, run
``lrs forwarding rekey``, then drop the old one). Each key is any string of at
least 16 characters (``python -c "import secrets; print(secrets.token_urlsafe(32))"``);
the AES key is derived from it with HKDF-SHA-256. A sealed value names the key
that sealed it by a short fingerprint and is bound to its target's id (the
associated data), so a value copied onto another target does not open.

Stored form: ``aesgcm:<key fingerprint>:<base64url(nonce || ciphertext || tag)>``.
A value without that prefix is a secret kept before sealing existed (or with no
key set), read as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "aesgcm:"
MIN_KEY_LENGTH = 16
_INFO = b"lrs forwarding target secrets v1"


class Unreadable(Exception):
    """A sealed secret that the configured keys do not open."""


def _derive(key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode())


def _fingerprint(aes_key: bytes) -> str:
    return hashlib.sha256(b"lrs-forwarding-key:" + aes_key).hexdigest()[:12]


def keys_of(setting: str | None) -> tuple[str, ...]:
    """The keys of an LRS_FORWARDING_KEY value (comma-separated; blanks ignored)."""
    return tuple(part.strip() for part in (setting or "").split(",") if part.strip())


def is_sealed(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


class Sealer:
    """Seals with the first key; opens with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a sealer needs at least one key")
        derived = [_derive(key) for key in keys]
        self._keys = {_fingerprint(k): AESGCM(k) for k in derived}
        self.current = _fingerprint(derived[0])

    @classmethod
    def from_setting(cls, setting: str | None) -> Sealer | None:
        keys = keys_of(setting)
        return cls(keys) if keys else None

    def seal(self, secret: str, target_id: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.current].encrypt(nonce, secret.encode(), target_id.encode())
        return f"{PREFIX}{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, target_id: str) -> str:
        if not is_sealed(stored):
            return stored
        fingerprint, _, blob = stored[len(PREFIX):].partition(":")
        cipher = self._keys.get(fingerprint)
        if cipher is None:
            raise Unreadable(f"sealed with a key not in LRS_FORWARDING_KEY (key {fingerprint})")
        try:
            raw = base64.urlsafe_b64decode(blob.encode())
            return cipher.decrypt(raw[:12], raw[12:], target_id.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise Unreadable(f"does not open with key {fingerprint} (altered, or not this target's)") from None


def seal(sealer: Sealer | None, secret: str, target_id: str) -> str:
    """The form to store: sealed when a key is set, as given otherwise."""
    return secret if sealer is None else sealer.seal(secret, target_id)


def open_(sealer: Sealer | None, stored: str, target_id: str) -> str:
    """The secret of a stored value; Unreadable when sealed and no key opens it."""
    if not is_sealed(stored):
        return stored
    if sealer is None:
        raise Unreadable("sealed, and LRS_FORWARDING_KEY is not set")
    return sealer.open(stored, target_id)
