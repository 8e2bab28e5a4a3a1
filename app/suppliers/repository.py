"""SQL of supplier settings (keyed by SIRET: the base's `get` reads them)."""

from __future__ import annotations

from app.kit.repository import Repository
from app.models.supplier import SupplierSettings


class SupplierRepository(Repository[SupplierSettings]):
    model = SupplierSettings
