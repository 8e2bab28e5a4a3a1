"""SQL of suppliers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert

from app.invoices.lifecycle import FINAL_STATUSES
from app.kit.repository import Repository
from app.models.invoice import Invoice
from app.models.supplier import Supplier


class SupplierRepository(Repository[Supplier]):
    model = Supplier

    async def all(self, *, for_update: bool = False) -> Sequence[Supplier]:
        statement = select(Supplier).order_by(Supplier.siret)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).all()

    async def all_for_update(self) -> Sequence[Supplier]:
        statement = select(Supplier).order_by(Supplier.siret).with_for_update()
        return (await self.session.scalars(statement)).all()

    async def sirets(self) -> set[str]:
        return set((await self.session.scalars(select(Supplier.siret))).all())

    async def insert_if_missing(self, supplier: Supplier) -> None:
        values = {c.key: getattr(supplier, c.key) for c in Supplier.__table__.columns}
        await self.session.execute(insert(Supplier).values(values).on_conflict_do_nothing())

    async def has_invoices_in_flight(self, siret: str) -> bool:
        statement = select(
            exists().where(Invoice.supplier_siret == siret, Invoice.status.not_in(FINAL_STATUSES))
        )
        return bool(await self.session.scalar(statement))

    async def expiring(self, before: date) -> Sequence[Supplier]:
        """Suppliers whose technical password expires before `before`, not yet announced."""
        statement = (
            select(Supplier)
            .where(
                Supplier.password_expires_on.is_not(None),
                Supplier.password_expires_on <= before,
                (Supplier.expiry_notified_for.is_(None))
                | (Supplier.expiry_notified_for != Supplier.password_expires_on),
            )
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()
