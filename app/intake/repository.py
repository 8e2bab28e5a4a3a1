"""SQL of intake: finding a replayed request and a number already used."""

from __future__ import annotations

from sqlalchemy import select

from app.kit.repository import Repository
from app.models.invoice import Invoice


class IntakeRepository(Repository[Invoice]):
    model = Invoice

    async def get_by_idempotency_key(self, key: str) -> Invoice | None:
        return await self.session.scalar(select(Invoice).where(Invoice.idempotency_key == key))

    async def number_in_use(self, supplier_siret: str, number: str) -> bool:
        statement = select(Invoice.id).where(
            Invoice.supplier_siret == supplier_siret,
            Invoice.number == number,
            Invoice.reuses_number_allowed.is_(False),
        )
        return (await self.session.scalar(statement.limit(1))) is not None
