"""Random interleavings of create / revoke / rotate and requests, against a model:
a revoked or rotated-away secret never gets through, a valid one always does, in
every "process" (verifiers with their own caches of verified secrets)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine

from lrs import credentials
from lrs.credentials import (
    CredentialVerifier,
    NeedsHashCheck,
    create_credential,
    ensure_default_store,
)
from lrs.db import make_engine
from lrs.errors import Conflict, NotFound

NAMES = st.sampled_from(["a", "b", "c"])
# A few fixed secrets, so that rotating back to an earlier secret happens; None: random.
SECRETS = st.one_of(st.none(), st.sampled_from(["secret-one", "secret-two", "secret-three"]))


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in tests/api/conftest.py: the same argon2id code path at its smallest cost."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(credentials, "_hasher", cheap)
    monkeypatch.setattr(credentials, "_DUMMY_HASH", cheap.hash("unknown key"))


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    ensure_default_store(engine)
    yield engine
    engine.dispose()


class CredentialLifecycle(RuleBasedStateMachine):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.prefix = uuid.uuid4().hex[:8] + "-"  # one database serves every example
        # Two long-lived "processes" with their own caches.
        self.verifiers = [CredentialVerifier(engine), CredentialVerifier(engine)]
        self.current: dict[str, str] = {}  # key -> its one valid secret
        self.revoked: set[str] = set()
        self.seen: set[str] = set()  # every secret ever given, valid or not now

    def key(self, name: str) -> str:
        return self.prefix + name

    @rule(name=NAMES, secret=SECRETS, store=st.sampled_from(["default", "second"]))
    def create(self, name: str, secret: str | None, store: str) -> None:
        key = self.key(name)
        if store == "second" and not credentials.store_exists(self.engine, "second"):
            credentials.create_store(self.engine, "second")
        if key in self.current:
            with pytest.raises(Conflict):
                create_credential(self.engine, key=key, secret=secret, store_id=store)
            return
        _, given = create_credential(self.engine, key=key, secret=secret, store_id=store,
                                     scopes=("statements/read",))
        assert secret is None or given == secret
        self.current[key] = given
        self.seen.add(given)

    @rule(name=NAMES)
    def revoke(self, name: str) -> None:
        key = self.key(name)
        if key not in self.current:
            with pytest.raises(NotFound):
                credentials.revoke(self.engine, key)
            return
        credentials.revoke(self.engine, key)
        self.revoked.add(key)

    @rule(name=NAMES, secret=SECRETS)
    def rotate(self, name: str, secret: str | None) -> None:
        key = self.key(name)
        if key not in self.current:
            with pytest.raises(NotFound):
                credentials.rotate(self.engine, key, secret)
            return
        if key in self.revoked:
            # A revoked credential cannot be brought back by rotating it.
            with pytest.raises(Conflict):
                credentials.rotate(self.engine, key, secret)
            return
        new = credentials.rotate(self.engine, key, secret)
        assert secret is None or new == secret
        self.current[key] = new
        self.seen.add(new)

    @rule(
        name=NAMES,
        process=st.sampled_from([0, 1, "fresh"]),
        which=st.sampled_from(["current", "seen", "wrong", "empty"]),
        data=st.data(),
    )
    def request(self, name: str, process: int | str, which: str, data: st.DataObject) -> None:
        key = self.key(name)
        if which == "current" and key in self.current:
            secret = self.current[key]
        elif which == "seen" and self.seen:
            secret = data.draw(st.sampled_from(sorted(self.seen)), label="secret")
        elif which == "empty":
            secret = ""
        else:
            secret = "wrong-" + uuid.uuid4().hex[:6]
        verifier = CredentialVerifier(self.engine) if process == "fresh" else self.verifiers[int(process)]
        # The event loop's quick check (no argon2) may defer to the full check, but
        # whatever it answers must be the full check's answer.
        try:
            quick: object = verifier.verify(key, secret, quick_only=True)
        except NeedsHashCheck:
            quick = "deferred"
        got = verifier.verify(key, secret)
        if quick != "deferred":
            assert (quick is None) == (got is None), (key, which, quick)
        valid = key in self.current and key not in self.revoked and secret == self.current[key]
        if valid:
            assert got is not None, (key, which)
            assert got.key == key
            assert got.scopes == frozenset(["statements/read"])
        else:
            assert got is None, (key, which, "revoked" if key in self.revoked else "stale secret")

    @invariant()
    def every_live_credential_works_in_every_process(self) -> None:
        for key, secret in self.current.items():
            if key not in self.revoked:
                for verifier in self.verifiers:
                    assert verifier.verify(key, secret) is not None


def test_the_quick_check_defers_what_needs_argon2(sqlite_engine: Engine) -> None:
    _, secret = create_credential(sqlite_engine, key="quick-k", scopes=("statements/read",))
    verifier = CredentialVerifier(sqlite_engine)
    for key, given in (("quick-k", secret), ("quick-k", "wrong"), ("unknown", secret)):
        with pytest.raises(NeedsHashCheck):
            verifier.verify(key, given, quick_only=True)
    assert verifier.verify("quick-k", secret) is not None
    # Proven once, the secret's digest answers alone: yes for it, no for any other.
    credential = verifier.verify("quick-k", secret, quick_only=True)
    assert credential is not None and credential.key == "quick-k"
    assert verifier.verify("quick-k", "wrong", quick_only=True) is None
    with pytest.raises(NeedsHashCheck):
        verifier.verify("unknown", secret, quick_only=True)
    credentials.revoke(sqlite_engine, "quick-k")
    assert verifier.verify("quick-k", secret, quick_only=True) is None


def test_credential_lifecycles_against_a_model(sqlite_engine: Engine) -> None:
    run_state_machine_as_test(
        lambda: CredentialLifecycle(sqlite_engine),
        settings=settings(max_examples=40, stateful_step_count=25, deadline=None),
    )
