"""Reading a `Retry-After` header (RFC 9110 §10.2.3), which a server on the other side writes.

What it says is a hint from outside: anything that is not a sane, finite, non-negative delay
is ignored, so that a hostile or broken answer cannot stall a retry for ever or overflow a
`timedelta`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = timedelta(days=7)
"""Longer hints are ignored (our own backoff applies): nobody means a wait of weeks."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> timedelta | None:
    """The delay asked for (delay-seconds or an HTTP date), or None when absent or not sane."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        return _from_date(value, now)
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_RETRY_AFTER.total_seconds():
        return None
    return timedelta(seconds=seconds)


def _from_date(value: str, now: datetime | None) -> timedelta | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = when - (now if now is not None else datetime.now(UTC))
    if delay > MAX_RETRY_AFTER:
        return None
    return max(delay, timedelta(0))
