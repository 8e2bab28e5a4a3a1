"""Time is UTC everywhere; one function so that tests and code agree."""

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import BeforeValidator

_A_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _refuse_unix_time(value: object) -> object:
    """The API speaks ISO 8601; pydantic alone would read `0` or `0.5` as a Unix time."""
    if isinstance(value, str) and _A_NUMBER.fullmatch(value):
        raise ValueError("an ISO 8601 date or date-time is expected, not a number")
    return value


IsoDate = Annotated[date, BeforeValidator(_refuse_unix_time)]
IsoDateTime = Annotated[datetime, BeforeValidator(_refuse_unix_time)]
