"""Supplier settings: today, which syntax their invoices go to Chorus Pro in."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.formats import Syntax
from app.kit.time import utcnow
from app.models.supplier import SupplierSettings
from app.suppliers.repository import SupplierRepository
from app.suppliers.schemas import SupplierSettingsRead, SupplierSettingsUpdate

DEFAULT_SYNTAX = Syntax.CII_D16B


class SupplierService:
    async def read(self, session: AsyncSession, siret: str) -> SupplierSettingsRead:
        stored = await SupplierRepository(session).get(siret)
        if stored is None:
            return SupplierSettingsRead(siret=siret, default_syntax=DEFAULT_SYNTAX.value)
        return SupplierSettingsRead.model_validate(stored)

    async def update(
        self, session: AsyncSession, siret: str, data: SupplierSettingsUpdate
    ) -> SupplierSettingsRead:
        repository = SupplierRepository(session)
        stored = await repository.get(siret)
        if stored is None:
            stored = SupplierSettings(siret=siret, default_syntax=data.default_syntax)
            repository.add(stored)
        else:
            stored.default_syntax = data.default_syntax
            stored.updated_at = utcnow()
        await session.flush()
        return SupplierSettingsRead.model_validate(stored)

    async def syntax_for(self, session: AsyncSession, siret: str, wanted: str | None) -> Syntax:
        """The invoice's own choice, else the supplier's default, else CII D16B."""
        if wanted is not None:
            return Syntax(wanted)
        stored = await SupplierRepository(session).get(siret)
        return Syntax(stored.default_syntax) if stored is not None else DEFAULT_SYNTAX


supplier_service = SupplierService()
