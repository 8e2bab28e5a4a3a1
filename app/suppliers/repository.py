from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.supplier import SupplierSettings


class SupplierRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, siret: str) -> SupplierSettings | None:
        return await self.session.get(SupplierSettings, siret)

    def add(self, settings: SupplierSettings) -> None:
        self.session.add(settings)
