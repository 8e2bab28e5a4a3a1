"""Retry-After from the other side is a hint: only sane, finite, non-negative delays count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.kit.retry_after import MAX_RETRY_AFTER, parse_retry_after

NOW = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("120", timedelta(seconds=120)),
        (" 1.5 ", timedelta(seconds=1.5)),
        ("0", timedelta(0)),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", timedelta(seconds=30)),
        ("Wed, 21 Oct 2015 07:27:00 GMT", timedelta(0)),  # a date already past: now
    ],
)
def test_seconds_and_http_dates(header: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    "header", ["inf", "Infinity", "-inf", "nan", "NaN", "-3", "-0.5", "1e400", "999999999"]
)
def test_refuses_what_no_sane_server_means(header: str) -> None:
    assert parse_retry_after(header, now=NOW) is None


def test_refuses_a_date_further_away_than_the_maximum() -> None:
    far = (NOW + MAX_RETRY_AFTER + timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(far, now=NOW) is None
    near = (NOW + MAX_RETRY_AFTER).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(near, now=NOW) == MAX_RETRY_AFTER
