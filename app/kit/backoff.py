"""How long to wait before trying again: one formula for every retry in the gateway."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

JITTER = 0.2
"""±20 %: retries of many items that failed together spread out instead of stampeding."""
_MAX_EXPONENT = 30


def jittered(delay: timedelta, jitter: float = JITTER) -> timedelta:
    return delay * random.uniform(1 - jitter, 1 + jitter)


def at_least(delay: timedelta, floor: timedelta | None) -> timedelta:
    """`delay`, or `floor` when the other side asked for longer (a Retry-After)."""
    return delay if floor is None else max(delay, floor)


@dataclass(frozen=True)
class Backoff:
    """`base`, doubled after each consecutive failure, never above `cap`, with jitter."""

    base: timedelta
    cap: timedelta
    jitter: float = JITTER

    def after(self, failures: int, *, retry_after: timedelta | None = None) -> timedelta:
        """The wait after `failures` consecutive failures (1 for the first): base * 2^(n-1)."""
        exponent = min(max(failures - 1, 0), _MAX_EXPONENT)
        return self.around(self.base * 2**exponent, retry_after=retry_after)

    def around(self, delay: timedelta, *, retry_after: timedelta | None = None) -> timedelta:
        """`delay` kept within [base, cap], jittered, and never shorter than `retry_after`."""
        bounded = min(max(delay, self.base), self.cap)
        return at_least(jittered(bounded, self.jitter), retry_after)
