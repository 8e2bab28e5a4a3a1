"""The directory cache: fresh entries answer at once, stale ones are fetched again in time.

An ERP request never waits on Chorus Pro for longer than the lookup timeout: past it the
cached entry answers (marked stale) or the lookup fails with a 503, and the worker is asked
to fetch the entry with its own, longer, timeouts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret as stdnum_siret

from app.chorus import ChorusClient, ChorusError
from app.config import Settings
from app.directory.entries import ServiceEntry, StructureEntry
from app.directory.fetching import resolve
from app.directory.repository import DirectoryRepository
from app.kit.db import QUEUE_INFO_KEY
from app.kit.errors import AppError, Conflict, FieldError, NotFound, Unprocessable
from app.kit.queue import JobQueue
from app.kit.time import utcnow
from app.models.directory import CachedService, CachedStructure

logger = logging.getLogger(__name__)

REFRESH_JOB = "refresh_directory_entry"


class DirectoryUnavailable(AppError):
    status = 503
    slug = "directory-unavailable"
    title = "Chorus Pro's directory did not answer in time and nothing is cached"


class StructureNotFound(NotFound):
    slug = "structure-not-found"
    title = "Chorus Pro has no structure with this SIRET"


class StructureAmbiguous(Conflict):
    slug = "structure-ambiguous"
    title = "This SIRET matches several active structures on Chorus Pro"


class InvalidSiret(Unprocessable):
    slug = "invalid-siret"
    title = "The SIRET is not valid"


@dataclass(frozen=True)
class DirectoryPolicy:
    ttl: timedelta
    lookup_timeout: timedelta
    refresh_interval: timedelta
    refresh_batch_size: int
    verify_engagement: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> DirectoryPolicy:
        return cls(
            ttl=settings.directory_ttl,
            lookup_timeout=settings.directory_lookup_timeout,
            refresh_interval=settings.directory_refresh_interval,
            refresh_batch_size=settings.directory_refresh_batch_size,
            verify_engagement=settings.directory_verify_engagement,
        )


def valid_siret(value: str, field: str) -> str:
    """The compact SIRET, or a 422 naming `field`."""
    compact = stdnum_siret.compact(value)
    try:
        return str(stdnum_siret.validate(compact))
    except StdnumValidationError as exc:
        raise InvalidSiret(
            errors=[
                FieldError(
                    field=field, message="must be a SIRET of 14 digits that passes the Luhn check"
                )
            ]
        ) from exc


def _entry(row: CachedStructure, services: list[CachedService]) -> StructureEntry:
    return StructureEntry(
        siret=row.siret,
        match_count=row.match_count,
        active_count=row.active_count,
        id_structure_cpp=row.id_structure_cpp,
        designation=row.designation,
        status=row.status,
        details_known=row.details_known,
        service_code_required=row.service_code_required,
        engagement_required=row.engagement_required,
        engagement_or_service_required=row.engagement_or_service_required,
        payment_status_not_reported=row.payment_status_not_reported,
        services=tuple(
            ServiceEntry(s.id_service, s.code, s.name, s.active, s.engagement_required)
            for s in services
        ),
        fetched_at=row.fetched_at,
        expires_at=row.expires_at,
        used_since_fetch=row.last_used_at is not None and row.last_used_at >= row.fetched_at,
    )


class DirectoryService:
    async def cached(self, session: AsyncSession, siret: str) -> StructureEntry | None:
        """What the cache holds for `siret`, fresh or not."""
        repository = DirectoryRepository(session)
        row = await repository.get(siret)
        if row is None:
            return None
        return _entry(row, list(await repository.services(row.id)))

    async def store(
        self,
        session: AsyncSession,
        entry: StructureEntry,
        known: StructureEntry | None = None,
        *,
        used: bool,
    ) -> None:
        """Save what Chorus said; only the new service flags when `entry` completes `known`."""
        repository = DirectoryRepository(session)
        if known is None or entry.fetched_at != known.fetched_at:
            await repository.save(entry, used=used)
            return
        before = {s.id_service: s.engagement_required for s in known.services}
        for service in entry.services:
            flag = service.engagement_required
            if flag is not None and before.get(service.id_service) != flag:
                await repository.save_service_flag(entry.siret, service.id_service, flag, utcnow())
        if used and not known.used_since_fetch:
            await repository.mark_used(entry.siret, utcnow())

    async def lookup(
        self,
        session: AsyncSession,
        chorus: ChorusClient,
        siret: str,
        policy: DirectoryPolicy,
        *,
        service_code: str | None = None,
        deadline: float | None = None,
    ) -> StructureEntry:
        """For an ERP request: the cache, else Chorus until `deadline` (loop time), else stale.

        Raises DirectoryUnavailable when Chorus did not answer and nothing is cached.
        """
        now = utcnow()
        known = await self.cached(session, siret)
        if (
            known is not None
            and known.is_fresh(now)
            and not (service_code and known.needs_service_details(service_code))
        ):
            if not known.used_since_fetch:
                await DirectoryRepository(session).mark_used(siret, now)
            return known
        loop = asyncio.get_running_loop()
        budget = (
            policy.lookup_timeout.total_seconds() if deadline is None else deadline - loop.time()
        )
        try:
            entry = await asyncio.wait_for(
                resolve(chorus, siret, known, service_code=service_code, ttl=policy.ttl, now=now),
                timeout=max(budget, 0.0),
            )
        except (TimeoutError, ChorusError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc)
            logger.warning("directory lookup of %s failed (%s); cached: %s", siret, reason, known)
            await self.request_refresh(session, siret)
            if known is None:
                raise DirectoryUnavailable(
                    f"Chorus Pro's directory did not answer for SIRET {siret}; try again later"
                ) from exc
            return known.as_stale()
        await self.store(session, entry, known, used=True)
        return entry

    async def describe(
        self, session: AsyncSession, chorus: ChorusClient, siret: str, policy: DirectoryPolicy
    ) -> StructureEntry:
        """The recipient an ERP is about to invoice: 404 when unknown, 409 when ambiguous."""
        siret = valid_siret(siret, "path:siret")
        entry = await self.lookup(session, chorus, siret, policy)
        if not entry.found:
            raise StructureNotFound(f"Chorus Pro has no structure with SIRET {siret}")
        if entry.active_count > 1:
            raise StructureAmbiguous(
                f"SIRET {siret} matches {entry.active_count} active structures on Chorus Pro"
            )
        return entry

    async def request_refresh(self, session: AsyncSession, siret: str) -> None:
        """Ask the worker to fetch `siret` with its own timeouts; best effort.

        Enqueued at once, not after commit: filling a cache is right whatever this
        transaction does, and a 503 rolls the transaction back.
        """
        queue = session.info.get(QUEUE_INFO_KEY)
        if not isinstance(queue, JobQueue):
            return
        minute = int(utcnow().timestamp()) // 60  # at most one refresh per SIRET per minute
        try:
            await queue.enqueue(REFRESH_JOB, f"directory:{siret}:{minute}", {"siret": siret})
        except Exception as exc:  # the next lookup or the refresh sweep will try again
            logger.warning("could not ask for a refresh of %s: %s", siret, exc)

    async def enqueue_due_refreshes(
        self, session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
    ) -> int:
        """The tick's step: entries in use that expire within the refresh interval."""
        policy = DirectoryPolicy.from_settings(settings)
        sirets = await DirectoryRepository(session).claim_due_refreshes(
            expiring_before=now + policy.refresh_interval,
            claimed_before=now - policy.refresh_interval,
            now=now,
            limit=policy.refresh_batch_size,
        )
        stamp = int(now.timestamp())
        for siret in sirets:
            await queue.enqueue(REFRESH_JOB, f"directory:{siret}:{stamp}", {"siret": siret})
        return len(sirets)


directory_service = DirectoryService()
