"""SQL of the tracking stage: due flux polls, sync cursors, the invoices a sync touches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert

from app.kit.repository import Repository
from app.models.invoice import Invoice
from app.models.sync import StatusSyncCursor

CHUNK = 1000


class TrackingRepository(Repository[StatusSyncCursor]):
    model = StatusSyncCursor

    async def claim_due_polls(self, now: datetime, limit: int) -> Sequence[Invoice]:
        statement = (
            select(Invoice)
            .where(Invoice.next_poll_at <= now)
            .order_by(Invoice.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def ensure_cursor(
        self, supplier_siret: str, watermark: datetime | None, now: datetime
    ) -> StatusSyncCursor:
        """The supplier's cursor, created if missing, locked for this transaction."""
        statement = (
            insert(StatusSyncCursor)
            .values(
                supplier_siret=supplier_siret,
                watermark=watermark,
                next_sync_at=now,
                failures=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["supplier_siret"])
        )
        await self.session.execute(statement)
        cursor = await self.get_for_update(supplier_siret)
        if cursor is None:  # pragma: no cover - the row was just inserted or already there
            raise RuntimeError(f"no sync cursor for {supplier_siret}")
        return cursor

    async def claim_due_cursors(self, now: datetime, limit: int) -> Sequence[StatusSyncCursor]:
        statement = (
            select(StatusSyncCursor)
            .where(StatusSyncCursor.next_sync_at <= now)
            .order_by(StatusSyncCursor.next_sync_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def has_followed(self, supplier_siret: str) -> bool:
        statement = select(
            exists().where(Invoice.followed.is_(True), Invoice.supplier_siret == supplier_siret)
        )
        return bool(await self.session.scalar(statement))

    async def oldest_followed_status_at(self, supplier_siret: str) -> datetime | None:
        statement = select(func.min(Invoice.chorus_status_changed_at)).where(
            Invoice.followed.is_(True), Invoice.supplier_siret == supplier_siret
        )
        return await self.session.scalar(statement)

    async def by_chorus_ids(
        self, chorus_ids: Sequence[int], *, for_update: bool = False
    ) -> Sequence[Invoice]:
        """Our invoices among Chorus search results (any supplier: Chorus ids are unique).

        Queried in chunks (PostgreSQL takes at most 32767 parameters) in Chorus id order, so
        concurrent lockers always lock in the same order.
        """
        ids = sorted(set(chorus_ids))
        found: list[Invoice] = []
        for start in range(0, len(ids), CHUNK):
            statement = (
                select(Invoice)
                .where(Invoice.chorus_invoice_id.in_(ids[start : start + CHUNK]))
                .order_by(Invoice.chorus_invoice_id, Invoice.id)
            )
            if for_update:
                statement = statement.with_for_update()
            found.extend((await self.session.scalars(statement)).all())
        return found

    async def followed_deposited_before(
        self, supplier_siret: str, before: datetime, limit: int
    ) -> Sequence[Invoice]:
        """Followed invoices whose recipient may never report payment, past the max age."""
        statement = (
            select(Invoice)
            .where(
                Invoice.followed.is_(True),
                Invoice.supplier_siret == supplier_siret,
                Invoice.deposited_at < before,
                Invoice.recipient_reports_payment.is_(None),
            )
            .order_by(Invoice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()
