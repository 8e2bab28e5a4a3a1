from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.document import Syntax


class SupplierSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_syntax: Syntax = Field(
        description="Chorus Pro syntaxeFlux used for this supplier's invoices unless an "
        "invoice says otherwise."
    )


class SupplierSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    siret: str
    default_syntax: Syntax
    updated_at: datetime | None = None
