"""Request rate limits (Communication 3.2: 429 Too Many Requests).

A token bucket per credential id: ``rate`` requests per second on average, bursts
of up to ``burst``; and, with the same buckets, failed logins per key and per client
address (``FailedLogins``). Buckets live in the process; with several server
processes, each enforces the limit on its own share of the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lrs.errors import TooManyRequests

# A bucket this close to a whole token holds one: refilling by (now - last) * rate
# loses the last bits, so a client that waited exactly its Retry-After found
# 0.9999999999999998 tokens and was refused again (found by the property test).
_WHOLE = 1.0 - 1e-9


class RateLimiter:
    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
        *, what: str = "requests for this credential",
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1) if rate > 0 else 0
        self.clock = clock
        self.what = what
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._checks = 0

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def check(self, key: str) -> None:
        """Take one token for ``key`` or raise TooManyRequests with Retry-After."""
        if not self.enabled:
            return
        now = self.clock()
        with self._lock:
            self._checks += 1
            if self._checks % 4096 == 0:
                self._forget_full(now)
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < _WHOLE:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise TooManyRequests(f"too many {self.what}; retry in {wait} s", retry_after=wait)
            self._buckets[key] = (tokens - 1.0, now)

    def spent(self, key: str) -> bool:
        """Whether ``key`` has used any of its burst that has not refilled yet."""
        if not self.enabled:
            return False
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
        return tokens + (now - last) * self.rate < self.burst

    def refund(self, key: str) -> None:
        """Give back a token ``check`` took, for what turned out not to count."""
        if not self.enabled:
            return
        with self._lock:
            if key in self._buckets:
                tokens, last = self._buckets[key]
                self._buckets[key] = (min(float(self.burst), tokens + 1.0), last)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: a new bucket starts full, so nothing changes
        for their keys, and one bucket per bearer user does not pile up."""
        refill = self.burst / self.rate
        for key in [k for k, (_, last) in self._buckets.items() if now - last >= refill]:
            del self._buckets[key]


class FailedLogins:
    """Failed credential checks, limited per key and per client address.

    Each check that the cache of proven secrets cannot answer reserves a failure in
    both buckets before it runs, so a burst of guesses sent at once cannot run more
    argon2 checks than the limit, and a check that succeeds gives its reservation
    back: only failures count. ``per_key`` and ``per_address`` failures may happen
    in any ``window`` seconds (0: no limit), then one more each ``window/limit`` s.
    """

    def __init__(
        self, per_key: int, per_address: int, window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self._keys = RateLimiter(
            per_key / window if per_key > 0 else 0.0, per_key, self._now,
            what="failed logins for this key",
        )
        self._addresses = RateLimiter(
            per_address / window if per_address > 0 else 0.0, per_address, self._now,
            what="failed logins from this address",
        )
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self.clock()

    @contextmanager
    def checking(self, key: str, address: str) -> Iterator[bool]:
        """Around a check the cache cannot answer: yields whether it is suspect, that
        is whether the key or the address failed within the window or has another
        such check pending. Suspect checks queue apart (api.deps.authenticating), so
        a flood of guesses delays other guesses, not the first check of others."""
        scopes = (f"key:{key}", f"address:{address}")
        with self._lock:
            suspect = any(scope in self._pending for scope in scopes)
            for scope in scopes:
                self._pending[scope] = self._pending.get(scope, 0) + 1
        suspect = suspect or self._keys.spent(key) or self._addresses.spent(address)
        try:
            yield suspect
        finally:
            with self._lock:
                for scope in scopes:
                    left = self._pending[scope] - 1
                    if left:
                        self._pending[scope] = left
                    else:
                        del self._pending[scope]

    def reserve(self, key: str, address: str) -> None:
        """Count a check as failed until ``succeeded``; TooManyRequests when over a limit."""
        self._keys.check(key)
        try:
            self._addresses.check(address)
        except TooManyRequests:
            self._keys.refund(key)
            raise

    def succeeded(self, key: str, address: str) -> None:
        self._keys.refund(key)
        self._addresses.refund(address)
