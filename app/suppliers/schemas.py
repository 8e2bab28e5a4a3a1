"""How suppliers are created, changed and shown: never a secret in an answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from app.document import Siret, Syntax

Environment = Literal["qualification", "production"]
SiretField = Field(description="The supplier's SIRET (14 digits, Luhn-checked)")


class Credentials(BaseModel):
    """A PISTE application and a Chorus Pro technical account: write-only."""

    model_config = ConfigDict(extra="forbid")

    piste_client_id: str = Field(min_length=1, max_length=200)
    piste_client_secret: SecretStr = Field(min_length=1, max_length=500)
    technical_login: str = Field(min_length=1, max_length=200)
    technical_password: SecretStr = Field(min_length=1, max_length=500)


class SupplierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    siret: Siret = SiretField
    name: str = Field(min_length=1, max_length=200)
    default_syntax: Syntax = "IN_DP_E1_CII_16B"
    environment: Environment = "production"
    credentials: Credentials | None = Field(
        default=None,
        description="Its own PISTE application and technical account; absent: the "
        "environment's (a group whose entities share one technical account).",
    )
    password_expires_on: date | None = Field(
        default=None, description="When the technical password expires, if known."
    )


class SupplierUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    default_syntax: Syntax | None = None
    environment: Environment | None = None
    password_expires_on: date | None = None


class SupplierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    siret: str
    name: str
    default_syntax: Syntax
    environment: Environment
    credentials_from_environment: bool = Field(
        description="It deposits with the environment's credentials, not its own."
    )
    piste_client_id: str | None = Field(description="Shown; its secret never is.")
    technical_login: str | None
    password_expires_on: date | None
    password_expiry_source: Literal["chorus", "operator"] | None
    credentials_rejected_at: datetime | None = Field(
        description="When Chorus Pro last refused its fresh credentials (401); cleared when "
        "they are set again."
    )
    created_at: datetime
    updated_at: datetime


class SupplierList(BaseModel):
    data: list[SupplierRead]


class SupplierHealth(BaseModel):
    siret: str
    token: Literal["ok", "refused", "unavailable"]
    chorus: Literal["ok", "refused", "unavailable", "not_checked"] = Field(
        description="One harmless call with the token: consulterStructure on the supplier."
    )
    detail: str | None = None
    password_expires_on: date | None
    password_expiry_source: Literal["chorus", "operator"] | None
    days_until_password_expiry: int | None


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
