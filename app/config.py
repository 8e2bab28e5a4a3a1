"""Settings, read once from the environment (prefix `GATEWAY_`; `DATABASE_URL`/`REDIS_URL` too)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.chorus.config import ChorusConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    environment: str = Field(default="development", description="development | production")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "GATEWAY_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "GATEWAY_REDIS_URL")
    )
    data_dir: Path = Field(default=Path(".data"), description="Embedded servers' data folder.")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"

    # Chorus Pro through PISTE; the defaults point at the bundled simulator.
    piste_token_url: str = "http://127.0.0.1:8090/api/oauth/token"
    chorus_api_url: str = "http://127.0.0.1:8090"
    piste_client_id: str = "sim-client-id"
    piste_client_secret: SecretStr = SecretStr("sim-client-secret")
    chorus_technical_login: str = "TECH_1_sim@cpro.fr"
    chorus_technical_password: SecretStr = SecretStr("sim-password")
    chorus_timeout_seconds: float = 30.0

    # Worker behaviour.
    worker_max_jobs: int = 20
    worker_poll_delay_seconds: float = 0.05
    relay_interval_seconds: int = Field(default=5, ge=1, le=59)
    relay_batch_size: int = 200
    submit_lease_seconds: float = Field(
        default=120.0, description="How long one submission attempt owns an invoice."
    )
    deposit_lookup_grace_seconds: float = Field(
        default=600.0,
        description="After a deposit whose answer was lost, how long to look for it on Chorus "
        "Pro before depositing again.",
    )
    deposit_lookup_interval_seconds: float = Field(
        default=30.0, description="How often a lost deposit is looked for during the grace."
    )
    submit_sweep_after_seconds: float = Field(
        default=30.0,
        description="When an accepted invoice's job seems lost, the sweep enqueues it again.",
    )
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 900.0
    max_submit_attempts: int = 12
    flux_poll_interval_seconds: float = Field(
        default=60.0,
        description="How often a deposited flux is asked for its report until it is processed.",
    )
    poll_batch_size: int = 200
    status_sync_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often each supplier's invoices on Chorus Pro are synced (one search "
        "for the statuses that changed since the last sync).",
    )
    status_sync_overlap_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Each sync looks back this far before its watermark, for clock skew and "
        "late indexing on Chorus Pro's side.",
    )
    status_sync_page_size: int = Field(default=1000, ge=10, le=10000)
    follow_max_days: float = Field(
        default=120.0,
        gt=0,
        description="Stop following an invoice whose recipient may not report payment after "
        "this many days on Chorus Pro (its status stays; a history line says why).",
    )
    webhook_timeout_seconds: float = 15.0

    # Chorus Pro directory cache and pre-flight checks (app/directory).
    directory_ttl_seconds: float = Field(
        default=86400.0, gt=0, description="How long a recipient's directory entry is trusted."
    )
    directory_lookup_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="Longest an ERP request waits for Chorus Pro's directory; past it the "
        "cached (stale) entry answers, or a 503 when there is none.",
    )
    directory_refresh_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Entries in use are refreshed in the background when they expire within "
        "this long; a failed refresh is tried again after this long.",
    )
    directory_refresh_batch_size: int = Field(
        default=50, ge=1, description="Most background refreshes started per worker tick."
    )
    directory_preflight_enabled: bool = Field(
        default=True, description="Check each invoice against the directory before depositing."
    )
    directory_verify_engagement: bool = Field(
        default=False,
        description="Also look the engagement number up with rechercherEngagementJuridique "
        "(needs the PISTE subscription to the EJ API).",
    )

    # Webhooks (docs/webhooks.md, section 8). Shrink the durations in tests, not in production.
    webhook_secrets_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) encrypting endpoint secrets at rest, comma-separated: the "
        "first encrypts, all decrypt (key rotation). Required in production.",
    )
    webhook_allowed_networks: (
        Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] | None
    ) = Field(
        default=None,
        description="CIDRs that webhook URLs may reach although not public (internal receivers, "
        "tests), comma-separated. Unset: loopback in development, nothing in production.",
    )
    webhook_retry_schedule_seconds: Annotated[list[float], NoDecode] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Delay before each retry (±20 % jitter); one attempt more than delays.",
    )
    webhook_throttle_delay_seconds: float = Field(
        default=60.0, description="Least wait after a timeout or a 429."
    )
    webhook_disable_after_seconds: float = Field(
        default=5 * 86400.0,
        description="An endpoint whose every attempt failed for this long is disabled.",
    )
    webhook_secret_overlap_seconds: float = Field(
        default=86400.0, description="How long the previous secret stays valid after a rotation."
    )

    # Optional official EN 16931 rules (app/validation/schematron.py): fails closed when set.
    en16931_schematron_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("EN16931_SCHEMATRON_DIR", "en16931_schematron_dir"),
        description="Folder with the CEN EN16931-CII-validation.xslt / EN16931-UBL-validation.xslt "
        "artefacts; when set, invoices also pass them (needs the `schematron` extra).",
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        return value

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
            return [ipaddress.ip_network(item, strict=False) for item in items]
        return value

    @field_validator("webhook_retry_schedule_seconds", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [float(item) for item in value.split(",") if item.strip()]
        return value

    @field_validator("webhook_secrets_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """Fail at start-up, not at the first delivery, on a key that is not a Fernet key."""
        if value is None:
            return None
        keys = [key.strip() for key in value.get_secret_value().split(",") if key.strip()]
        if not keys:
            raise ValueError("no key given")
        for key in keys:
            try:
                valid = len(base64.urlsafe_b64decode(key.encode())) == 32
            except (binascii.Error, ValueError):
                valid = False
            if not valid:
                raise ValueError("each key must be 32 url-safe base64-encoded bytes (Fernet)")
        return value

    @model_validator(mode="after")
    def _no_simulator_credentials_in_production(self) -> Settings:
        """Refuse to start in production with well-known credentials or without a secrets key."""
        if not self.is_production:
            return self
        defaults = Settings.model_fields
        for name in ("piste_client_secret", "chorus_technical_password"):
            default = defaults[name].default
            if getattr(self, name).get_secret_value() == default.get_secret_value():
                raise ValueError(f"GATEWAY_{name.upper()} must be set in production")
        if self.webhook_secrets_key is None:
            raise ValueError("GATEWAY_WEBHOOK_SECRETS_KEY must be set in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def chorus_config(self) -> ChorusConfig:
        return ChorusConfig(
            token_url=self.piste_token_url,
            api_base_url=self.chorus_api_url,
            client_id=self.piste_client_id,
            client_secret=self.piste_client_secret,
            technical_login=self.chorus_technical_login,
            technical_password=self.chorus_technical_password,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
