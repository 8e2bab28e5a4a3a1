"""Every SQL statement of the directory cache."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.directory.entries import StructureEntry
from app.kit.ids import uuid7
from app.kit.repository import Repository
from app.models.directory import CachedService, CachedStructure


class DirectoryRepository(Repository[CachedStructure]):
    model = CachedStructure

    async def get(self, siret: str) -> CachedStructure | None:
        # populate_existing: the upserts below bypass the identity map.
        statement = select(CachedStructure).where(CachedStructure.siret == siret)
        return await self.session.scalar(statement.execution_options(populate_existing=True))

    async def services(self, structure_id: uuid.UUID) -> Sequence[CachedService]:
        statement = (
            select(CachedService)
            .where(CachedService.structure_id == structure_id)
            .order_by(CachedService.code, CachedService.id_service)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(statement)).all()

    async def save(self, entry: StructureEntry, *, used: bool) -> uuid.UUID:
        """Upsert the SIRET's row and replace its services.

        The upsert locks the row until commit, so concurrent saves of one SIRET take turns
        and the delete-then-insert of services never interleaves.
        """
        values = {
            "siret": entry.siret,
            "match_count": entry.match_count,
            "active_count": entry.active_count,
            "id_structure_cpp": entry.id_structure_cpp,
            "designation": entry.designation,
            "status": entry.status,
            "details_known": entry.details_known,
            "service_code_required": entry.service_code_required,
            "engagement_required": entry.engagement_required,
            "engagement_or_service_required": entry.engagement_or_service_required,
            "payment_status_not_reported": entry.payment_status_not_reported,
            "fetched_at": entry.fetched_at,
            "expires_at": entry.expires_at,
            "refresh_claimed_at": None,
        }
        changes = dict(values)
        del changes["siret"]
        if used:
            changes["last_used_at"] = entry.fetched_at
        statement = (
            pg_insert(CachedStructure)
            .values(id=uuid7(), last_used_at=entry.fetched_at, **values)
            .on_conflict_do_update(index_elements=[CachedStructure.siret], set_=changes)
            .returning(CachedStructure.id)
        )
        structure_id = (await self.session.execute(statement)).scalar_one()
        await self.session.execute(
            delete(CachedService).where(CachedService.structure_id == structure_id)
        )
        if entry.services:
            await self.session.execute(
                insert(CachedService),
                [
                    {
                        "id": uuid7(),
                        "structure_id": structure_id,
                        "id_service": s.id_service,
                        "code": s.code,
                        "name": s.name,
                        "active": s.active,
                        "engagement_required": s.engagement_required,
                        "engagement_checked_at": (
                            None if s.engagement_required is None else entry.fetched_at
                        ),
                    }
                    for s in entry.services
                ],
            )
        return structure_id

    async def save_service_flag(
        self, siret: str, id_service: int, engagement_required: bool, at: datetime
    ) -> None:
        structure_id = select(CachedStructure.id).where(CachedStructure.siret == siret)
        await self.session.execute(
            update(CachedService)
            .where(
                CachedService.structure_id == structure_id.scalar_subquery(),
                CachedService.id_service == id_service,
            )
            .values(engagement_required=engagement_required, engagement_checked_at=at)
        )

    async def mark_used(self, siret: str, at: datetime) -> None:
        """Once per fetch: a second use of the same entry changes nothing."""
        await self.session.execute(
            update(CachedStructure)
            .where(
                CachedStructure.siret == siret,
                or_(
                    CachedStructure.last_used_at.is_(None),
                    CachedStructure.last_used_at < CachedStructure.fetched_at,
                ),
            )
            .values(last_used_at=at)
        )

    async def claim_due_refreshes(
        self, expiring_before: datetime, claimed_before: datetime, now: datetime, limit: int
    ) -> Sequence[str]:
        """SIRETs in use that expire soon and are not being refreshed; stamps them claimed."""
        statement = (
            select(CachedStructure)
            .where(
                CachedStructure.expires_at <= expiring_before,
                CachedStructure.last_used_at >= CachedStructure.fetched_at,
                or_(
                    CachedStructure.refresh_claimed_at.is_(None),
                    CachedStructure.refresh_claimed_at <= claimed_before,
                ),
            )
            .order_by(CachedStructure.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = (await self.session.scalars(statement)).all()
        for row in rows:
            row.refresh_claimed_at = now
        return [row.siret for row in rows]
