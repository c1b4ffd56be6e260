"""Per-credential request rate limits (Communication 3.2: 429 Too Many Requests).

A token bucket per credential id: ``rate`` requests per second on average, bursts
of up to ``burst``. Buckets live in the process; with several server processes,
each enforces the limit on its own share of the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from lrs.errors import TooManyRequests


class RateLimiter:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(burst, 1) if rate > 0 else 0
        self.clock = clock
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
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise TooManyRequests(
                    f"too many requests for this credential; retry in {wait} s", retry_after=wait
                )
            self._buckets[key] = (tokens - 1.0, now)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: a new bucket starts full, so nothing changes
        for their keys, and one bucket per bearer user does not pile up."""
        refill = self.burst / self.rate
        for key in [k for k, (_, last) in self._buckets.items() if now - last >= refill]:
            del self._buckets[key]
