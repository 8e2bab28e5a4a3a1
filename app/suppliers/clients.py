"""One Chorus Pro client per supplier, each with its own credentials and token cache.

Deposits, look-ups, polls and syncs speak for one supplier: its PISTE application and its
technical account (or the environment's). Clients share one HTTP connection pool and are
kept while their credentials do not change; a process re-reads a supplier's credentials
at most every `RECHECK` so that a change through the API reaches every process quickly.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import httpx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from app.chorus import ChorusClient, ChorusConfig
from app.config import Settings
from app.kit.db import Units
from app.kit.errors import Unprocessable
from app.kit.secretbox import SecretBox
from app.models.supplier import Supplier
from app.suppliers.repository import SupplierRepository

RECHECK = 30.0  # seconds


class SupplierNotConfigured(Unprocessable):
    """No supplier (hence no credentials) for this SIRET: nothing can be sent for it."""

    slug = "supplier-not-configured"
    title = "This supplier is not configured in the gateway"


@dataclass
class _Cached:
    fingerprint: str
    client: ChorusClient
    checked_at: float


def chorus_config(supplier: Supplier, settings: Settings, box: SecretBox) -> ChorusConfig:
    """The supplier's connection: its platform's URLs, its credentials or the environment's."""
    token_url, api_url = settings.chorus_urls(supplier.environment)
    if supplier.credentials_from_environment or supplier.piste_client_secret_enc is None:
        return ChorusConfig(
            token_url=token_url,
            api_base_url=api_url,
            client_id=settings.piste_client_id,
            client_secret=settings.piste_client_secret,
            technical_login=settings.chorus_technical_login,
            technical_password=settings.chorus_technical_password,
        )
    if supplier.technical_password_enc is None or not supplier.technical_login:
        raise SupplierNotConfigured(f"supplier {supplier.siret} has incomplete credentials")
    return ChorusConfig(
        token_url=token_url,
        api_base_url=api_url,
        client_id=supplier.piste_client_id or "",
        client_secret=SecretStr(box.decrypt(supplier.piste_client_secret_enc)),
        technical_login=supplier.technical_login,
        technical_password=SecretStr(box.decrypt(supplier.technical_password_enc)),
    )


def _fingerprint(config: ChorusConfig) -> str:
    parts = (
        config.token_url,
        config.api_base_url,
        config.client_id,
        config.client_secret.get_secret_value(),
        config.technical_login,
        config.technical_password.get_secret_value(),
    )
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class ChorusClients:
    def __init__(self, http: httpx.AsyncClient, settings: Settings, units: Units) -> None:
        self._http = http
        self._settings = settings
        self._units = units
        self._box = SecretBox.from_keys(settings.secrets_key)
        self._cached: dict[str, _Cached] = {}

    async def for_supplier(self, siret: str, session: AsyncSession | None = None) -> ChorusClient:
        """The supplier's client; raises SupplierNotConfigured for an unknown SIRET.

        A caller inside a transaction passes its session: a second connection taken
        while holding the first could starve a small pool.
        """
        now = time.monotonic()
        cached = self._cached.get(siret)
        if cached is not None and now - cached.checked_at < RECHECK:
            return cached.client
        if session is not None:
            supplier = await SupplierRepository(session).get(siret)
        else:
            async with self._units() as own:
                supplier = await SupplierRepository(own).get(siret)
        if supplier is None:
            self._cached.pop(siret, None)
            raise SupplierNotConfigured(f"no supplier {siret} is configured")
        config = chorus_config(supplier, self._settings, self._box)
        fingerprint = _fingerprint(config)
        if cached is not None and cached.fingerprint == fingerprint:
            cached.checked_at = now  # unchanged: keep the client and its token
            return cached.client
        client = ChorusClient(self._http, config)
        self._cached[siret] = _Cached(fingerprint, client, now)
        return client

    async def for_directory(self) -> ChorusClient:
        """A client for calls that belong to no supplier (the directory): the
        environment's supplier, else the first configured one."""
        siret = self._settings.environment_supplier_siret
        if siret is None:
            async with self._units() as session:
                sirets = sorted(await SupplierRepository(session).sirets())
            if not sirets:
                raise SupplierNotConfigured("no supplier is configured")
            siret = sirets[0]
        return await self.for_supplier(siret)

    def forget(self, siret: str) -> None:
        """Read the supplier's credentials again at the next call (they just changed)."""
        self._cached.pop(siret, None)
