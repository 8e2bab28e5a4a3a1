"""Simulator settings, read from `SIMULATOR_*` environment variables.

The defaults match the gateway's own defaults (`app/config.py`), so a fresh checkout talks to
a local simulator without any configuration.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Account(BaseModel):
    """One more PISTE application with its Chorus Pro technical account (another supplier)."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    technical_login: str = Field(min_length=1)
    technical_password: SecretStr


class SimulatorSettings(BaseSettings):
    """What a PISTE application and a Chorus Pro technical account would be configured with."""

    model_config = SettingsConfigDict(env_prefix="SIMULATOR_", extra="ignore")

    client_id: str = "sim-client-id"
    client_secret: SecretStr = SecretStr("sim-client-secret")
    technical_login: str = "TECH_1_sim@cpro.fr"
    technical_password: SecretStr = SecretStr("sim-password")
    accounts: list[Account] = Field(
        default_factory=list,
        description="More applications and technical accounts, as JSON "
        '(`SIMULATOR_ACCOUNTS=[{"client_id": …, "client_secret": …, "technical_login": …, '
        '"technical_password": …}]`): a group whose entities each have their own.',
    )
    technical_password_expires_on: date | None = Field(
        default=None,
        description="What consulterStructure says of the technical password's expiry on the "
        "supplier's own structure; default: 424 days (its rotation period) after today.",
    )
    token_ttl_seconds: int = Field(default=3600, gt=0)
    step_seconds: float = Field(default=5.0, gt=0, description="Lifecycle clock step S.")
    slow_seconds: float = Field(default=3.0, ge=0, description="Delay of XSLOW deposits.")
    host: str = "127.0.0.1"
    port: int = Field(default=8090, gt=0, lt=65536)
    timezone: str = Field(
        default="Europe/Paris", description="Zone used to render dates, as Chorus Pro does."
    )
    functional_error_http_status: Literal[200, 400] = Field(
        default=200,
        description="HTTP status of answers with codeRetour != 0 (unconfirmed, API.md 9.1).",
    )
    empty_search_returns_20000: bool = Field(
        default=False,
        description="Answer an empty supplier search with 20000/TRA_MSG_00.015 (API.md 9.11).",
    )
    fault_seed: int | None = Field(
        default=None, description="Seed of the draws of probabilistic faults (repeatable runs)."
    )
    max_flux_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_archive_bytes: int = Field(default=30 * 1024 * 1024, gt=0)
    max_request_bytes: int = Field(default=64 * 1024 * 1024, gt=0)


def all_accounts(settings: SimulatorSettings) -> list[Account]:
    """The flat settings' account first, then the extra ones."""
    first = Account(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        technical_login=settings.technical_login,
        technical_password=settings.technical_password,
    )
    return [first, *settings.accounts]
