"""The submission rules that settings tune."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.config import Settings
from app.kit.backoff import Backoff

# A new flux is rarely processed at once: its first report is asked for after this at most.
FIRST_POLL_AFTER = timedelta(seconds=10)


@dataclass(frozen=True)
class SubmissionPolicy:
    lease: timedelta
    lookup_grace: timedelta
    lookup_interval: timedelta
    backoff: Backoff
    max_attempts: int
    first_poll_after: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SubmissionPolicy:
        return cls(
            lease=settings.submit_lease,
            lookup_grace=settings.deposit_lookup_grace,
            lookup_interval=settings.deposit_lookup_interval,
            backoff=Backoff(settings.retry_base, settings.retry_max),
            max_attempts=settings.max_submit_attempts,
            first_poll_after=min(settings.flux_poll_interval, FIRST_POLL_AFTER),
        )
