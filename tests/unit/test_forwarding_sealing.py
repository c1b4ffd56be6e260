"""Target secrets sealed at rest (lrs.forwarding.sealing): what is sealed opens with
the same key and target, with any key of a rotation, and with nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.config import Settings
from lrs.forwarding import sealing

OLD, NEW = "old-key-0123456789abcdef", "new-key-fedcba9876543210"


@given(secret=st.text(min_size=1, max_size=200))
def test_a_sealed_secret_opens_to_itself_and_does_not_show(secret: str) -> None:
    sealer = sealing.Sealer([NEW])
    stored = sealer.seal(secret, "hr")
    assert sealing.is_sealed(stored)
    assert secret not in stored.removeprefix(sealing.PREFIX) or len(secret) < 8
    assert sealer.open(stored, "hr") == secret
    assert sealing.open_(sealer, stored, "hr") == secret


def test_rotation_new_key_seals_old_key_still_opens() -> None:
    old_stored = sealing.Sealer([OLD]).seal("the-secret", "hr")
    rotated = sealing.Sealer.from_setting(f"{NEW}, {OLD}")
    assert rotated is not None
    assert rotated.open(old_stored, "hr") == "the-secret"
    assert rotated.seal("the-secret", "hr").startswith(f"{sealing.PREFIX}{rotated.current}:")
    with pytest.raises(sealing.Unreadable, match="not in LRS_FORWARDING_KEY"):
        sealing.Sealer([NEW]).open(old_stored, "hr")


def test_a_sealed_secret_is_bound_to_its_target_and_to_its_bytes() -> None:
    sealer = sealing.Sealer([NEW])
    stored = sealer.seal("the-secret", "hr")
    with pytest.raises(sealing.Unreadable):
        sealer.open(stored, "another-target")
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(sealing.Unreadable):
        sealer.open(tampered, "hr")


def test_without_a_key_secrets_stay_as_given_and_sealed_ones_do_not_open() -> None:
    assert sealing.Sealer.from_setting(None) is None and sealing.Sealer.from_setting(" , ") is None
    assert sealing.seal(None, "plain", "hr") == "plain"
    assert sealing.open_(None, "plain", "hr") == "plain"
    # A secret stored before a key was set still opens once one is.
    assert sealing.open_(sealing.Sealer([NEW]), "plain", "hr") == "plain"
    with pytest.raises(sealing.Unreadable, match="LRS_FORWARDING_KEY is not set"):
        sealing.open_(None, sealing.Sealer([NEW]).seal("x", "hr"), "hr")


def test_short_keys_are_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="LRS_FORWARDING_KEY"):
        Settings(forwarding_key="short")
    with pytest.raises(ValueError, match="LRS_FORWARDING_KEY"):
        Settings.from_env({"LRS_FORWARDING_KEY": f"{NEW},tiny"})
    assert Settings.from_env({"LRS_FORWARDING_KEY": NEW}).forwarding_key == NEW
