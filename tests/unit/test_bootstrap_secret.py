"""The rule for weak bootstrap secrets (README, LRS_BOOTSTRAP_SECRET): at least 16
characters, 8 of them different, some letters, not the key, and not made only of
well-known default words with digits and punctuation."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.credentials import weak_secret


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("change-me", "characters"),
        ("admin", "characters"),
        ("password", "characters"),
        ("fifteen-chars-x", "characters"),
        ("aaaaaaaaaaaaaaaaaaaaaaaa", "different"),
        ("abababab-abababab-ab", "different"),
        ("12345678901234567890", "letters"),
        ("change-me-change-me", "default words"),
        ("Change-Me-Change-Me-2024", "default words"),
        ("ChangeMe!ChangeMe!", "default words"),
        ("Password1234567890", "default words"),
        ("Admin2024-Admin2024!", "default words"),
        ("secret-password-2024", "default words"),
        ("the-bootstrap-key-2024", "the key itself"),
    ],
)
def test_weak_secrets_are_named_with_the_reason(secret, why):
    reason = weak_secret("the-bootstrap-key-2024", secret)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize(
    "secret",
    [
        "e2e-Qm7vR2xK9pL4wZ8t",
        "bench-secret-0123456789",
        "correct horse battery staple",
        "пароль-для-нашего-сервера",
        secrets.token_urlsafe(12),  # 16 characters
    ],
)
def test_strong_secrets_pass(secret):
    assert weak_secret("admin", secret) is None


_WORDS = ("change", "me", "Admin", "PASSWORD", "secret", "default", "LetMeIn", "qwerty", "root")
_FILLER = st.text("0123456789-_.!@# ", max_size=4)


@given(st.lists(st.tuples(st.sampled_from(_WORDS), _FILLER), min_size=1, max_size=8))
def test_default_words_with_digits_and_punctuation_are_always_weak(pieces):
    secret = "".join(word + filler for word, filler in pieces)
    assert weak_secret("admin", secret) is not None


@given(st.integers(min_value=0, max_value=15), st.text(min_size=16, max_size=16))
def test_anything_shorter_than_16_characters_is_weak(length, text):
    assert weak_secret("admin", text[:length]) is not None
