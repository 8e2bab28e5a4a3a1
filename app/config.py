"""Settings, read once from the environment (prefix `GATEWAY_`; `DATABASE_URL`/`REDIS_URL` too)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    poll_interval_seconds: float = Field(
        default=60.0, description="How often an invoice in flight is followed on Chorus Pro."
    )
    poll_batch_size: int = 200
    webhook_timeout_seconds: float = 15.0

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _no_simulator_credentials_in_production(self) -> Settings:
        """Refuse to start in production with the simulator's well-known credentials."""
        if not self.is_production:
            return self
        defaults = Settings.model_fields
        for name in ("piste_client_secret", "chorus_technical_password"):
            default = defaults[name].default
            if getattr(self, name).get_secret_value() == default.get_secret_value():
                raise ValueError(f"GATEWAY_{name.upper()} must be set in production")
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
