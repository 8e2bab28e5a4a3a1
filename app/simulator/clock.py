"""Simulator time: every lifecycle step is computed from a clock instead of background tasks.

Tests and the admin API move time forward with `OffsetClock.advance`, which makes the whole
lifecycle deterministic and instant to test.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """Current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; handy as the base clock of tests."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)


class OffsetClock:
    """Wraps a base clock with an offset that only grows, so recorded times never go back."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base: Clock = base or SystemClock()
        self._offset = timedelta(0)

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return _aware(self._base.now()) + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the simulator clock cannot go back")
        self._offset += timedelta(seconds=seconds)
        return self.now()

    def reset(self) -> None:
        self._offset = timedelta(0)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def load_zone(name: str) -> tzinfo:
    """Chorus Pro renders Paris time; fall back to UTC where the tz database is missing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("time zone %r not available, simulator dates are rendered in UTC", name)
        return UTC


class DateFormats:
    """The three date renderings Chorus Pro uses (API.md section 2)."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone

    def iso(self, at: datetime) -> str:
        """`2018-02-16T15:10:25.536+01:00`: ISO 8601, milliseconds, numeric offset."""
        local = at.astimezone(self.zone)
        return local.isoformat(timespec="milliseconds")

    def day(self, at: datetime) -> str:
        return self.local_date(at).isoformat()

    def minute(self, at: datetime) -> str:
        """`YYYY-MM-DD HH:MM`, the history format."""
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def parse_instant(self, text: str) -> datetime:
        """Client datetimes without an offset are read as local (Paris) time."""
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value
