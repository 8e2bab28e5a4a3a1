"""API keys as the admin endpoint shows them: never the key, except once at creation."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.access.principal import Scope


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Who uses it (an ERP, a team).")
    scopes: list[Scope] = Field(min_length=1)
    supplier_sirets: list[str] | None = Field(
        default=None,
        description="The suppliers it may act for (SIRETs); absent: every supplier.",
    )


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    scopes: list[Scope]
    supplier_sirets: list[str] | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown here only, stored as a hash.")


class ApiKeyList(BaseModel):
    data: list[ApiKeyRead]
