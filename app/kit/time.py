"""Time is UTC everywhere; one function so that tests and code agree."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
