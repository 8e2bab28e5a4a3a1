"""One backoff for every retry: doubling from the base, capped, jittered, the server heard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.kit.backoff import Backoff, at_least, jittered

SECOND = timedelta(seconds=1)


def test_doubles_after_each_failure_up_to_the_cap() -> None:
    backoff = Backoff(base=5 * SECOND, cap=60 * SECOND, jitter=0)
    assert [backoff.after(n) for n in range(1, 7)] == [
        5 * SECOND,
        10 * SECOND,
        20 * SECOND,
        40 * SECOND,
        60 * SECOND,
        60 * SECOND,
    ]
    assert backoff.after(10_000) == 60 * SECOND  # no overflow however long it fails


def test_a_retry_after_longer_than_the_backoff_wins() -> None:
    backoff = Backoff(base=5 * SECOND, cap=60 * SECOND, jitter=0)
    assert backoff.after(1, retry_after=90 * SECOND) == 90 * SECOND
    assert backoff.after(3, retry_after=SECOND) == 20 * SECOND


def test_around_keeps_a_delay_within_bounds() -> None:
    backoff = Backoff(base=5 * SECOND, cap=60 * SECOND, jitter=0)
    assert backoff.around(SECOND) == 5 * SECOND
    assert backoff.around(timedelta(hours=1)) == 60 * SECOND
    assert backoff.around(30 * SECOND) == 30 * SECOND


@pytest.mark.parametrize("jitter", [0.1, 0.2, 0.5])
def test_jitter_stays_within_its_share(jitter: float) -> None:
    delays = {jittered(100 * SECOND, jitter) for _ in range(200)}
    assert min(delays) >= 100 * SECOND * (1 - jitter)
    assert max(delays) <= 100 * SECOND * (1 + jitter)
    assert len(delays) > 1


def test_at_least() -> None:
    assert at_least(SECOND, None) == SECOND
    assert at_least(SECOND, 2 * SECOND) == 2 * SECOND
