"""Connection settings of the Chorus Pro client, built by the caller from `Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr


@dataclass(frozen=True)
class ChorusConfig:
    """PISTE application and Chorus technical account; secrets stay `SecretStr` so reprs hide them.

    `api_base_url` is the PISTE gateway (e.g. "https://sandbox-api.piste.gouv.fr"); calls go to
    `api_base_url + "/cpro/" + path`.
    """

    token_url: str
    api_base_url: str
    client_id: str
    client_secret: SecretStr
    technical_login: str
    technical_password: SecretStr
    scope: str = "openid"
    token_refresh_margin: timedelta = timedelta(minutes=4)

    def __post_init__(self) -> None:
        # A plain str passed by mistake would show in reprs and tracebacks: wrap it.
        for name in ("client_secret", "technical_password"):
            value: object = getattr(self, name)
            if not isinstance(value, SecretStr):
                object.__setattr__(self, name, SecretStr(str(value)))
        if self.token_refresh_margin < timedelta(0):
            raise ValueError("token_refresh_margin must not be negative")
        if not self.token_url or not self.api_base_url:
            raise ValueError("token_url and api_base_url are required")

    def api_url(self, path: str) -> str:
        """Full URL of a Chorus operation path such as "factures/v1/deposer/flux"."""
        return f"{self.api_base_url.rstrip('/')}/cpro/{path.lstrip('/')}"
