"""The tracking rules that settings tune: flux polls and the supplier status sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.config import Settings
from app.kit.backoff import Backoff

# A flux poll or a sync cycle owns its row at least this long, however short the interval.
MIN_POLL_LEASE = timedelta(seconds=30)
MIN_SYNC_LEASE = timedelta(seconds=30)  # a failed cycle's lease is released at once


@dataclass(frozen=True)
class TrackingPolicy:
    poll_interval: timedelta
    backoff: Backoff

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackingPolicy:
        return cls(
            poll_interval=settings.flux_poll_interval,
            backoff=Backoff(settings.retry_base, settings.retry_max),
        )

    @property
    def lease(self) -> timedelta:
        return max(self.poll_interval, MIN_POLL_LEASE)


@dataclass(frozen=True)
class SyncPolicy:
    interval: timedelta
    overlap: timedelta
    page_size: int
    follow_max_age: timedelta
    backoff: Backoff

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncPolicy:
        return cls(
            interval=settings.status_sync_interval,
            overlap=settings.status_sync_overlap,
            page_size=settings.status_sync_page_size,
            follow_max_age=settings.follow_max_age,
            backoff=Backoff(settings.retry_base, settings.retry_max),
        )

    @property
    def lease(self) -> timedelta:
        return max(self.interval, MIN_SYNC_LEASE)
