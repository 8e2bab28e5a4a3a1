"""Operator commands on the database: API keys, suppliers, and the secrets key's rotation.

They are how the first key comes to be (the API itself needs one), and how secrets reach
the gateway without passing through a shell history: passwords are read from the
terminal, or from standard input when it is not one.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.principal import Scope
from app.access.service import api_key_service
from app.config import Settings
from app.kit.db import create_engine, create_sessionmaker, unit_of_work
from app.kit.errors import AppError
from app.kit.secretbox import SecretBox
from app.suppliers.schemas import Credentials, SupplierCreate
from app.suppliers.service import supplier_service
from app.webhooks.service import webhook_service

T = TypeVar("T")
DEVELOPMENT_KEY_NAME = "development (make run)"


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    if settings.database_url is None:
        raise SystemExit("DATABASE_URL is not set")
    engine = create_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def _run(settings: Settings, step: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _session(settings) as session:
            return await step(session)

    try:
        return asyncio.run(main())
    except AppError as exc:
        fields = "; ".join(f"{e.field}: {e.message}" for e in exc.errors or [])
        raise SystemExit(f"{exc.title}: {exc.detail or ''} {fields}".strip()) from None


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _secret(prompt: str) -> SecretStr:
    value = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not value:
        raise SystemExit(f"{prompt.strip(': ')} is required")
    return SecretStr(value)


def _credentials(piste_client_id: str, technical_login: str) -> Credentials:
    """The two secrets from the terminal (or stdin, one per line): never from arguments."""
    return Credentials(
        piste_client_id=piste_client_id,
        piste_client_secret=_secret("PISTE client secret: "),
        technical_login=technical_login,
        technical_password=_secret("technical account password: "),
    )


def create_key(
    settings: Settings, name: str, scopes: Sequence[str], suppliers: Sequence[str] | None
) -> None:
    async def step(session: AsyncSession) -> str:
        key, token = await api_key_service.create(
            session, name, [Scope(s) for s in scopes], suppliers
        )
        sys.stderr.write(f"created API key {key.id} ({key.prefix}…), shown once:\n")
        return token

    _say(_run(settings, step))


def list_keys(settings: Settings) -> None:
    async def step(session: AsyncSession) -> None:
        for key in await api_key_service.list(session):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            suppliers = ",".join(key.supplier_sirets) if key.supplier_sirets else "all suppliers"
            scopes = " ".join(key.scopes)
            _say(f"{key.id}  {key.prefix}…  {state}  {key.name}  [{scopes}]  {suppliers}")

    _run(settings, step)


def revoke_key(settings: Settings, key_id: str) -> None:
    async def step(session: AsyncSession) -> None:
        key = await api_key_service.revoke(session, uuid.UUID(key_id))
        _say(f"revoked {key.id} ({key.name})")

    _run(settings, step)


def add_supplier(
    settings: Settings,
    siret: str,
    name: str,
    *,
    syntax: str | None,
    environment: str,
    piste_client_id: str | None,
    technical_login: str | None,
) -> None:
    credentials = None
    if piste_client_id or technical_login:
        if not (piste_client_id and technical_login):
            raise SystemExit("give both --piste-client-id and --technical-login, or neither")
        credentials = _credentials(piste_client_id, technical_login)
    try:
        data = SupplierCreate.model_validate(
            {
                "siret": siret,
                "name": name,
                "environment": environment,
                "credentials": credentials,
                **({"default_syntax": syntax} if syntax else {}),
            }
        )
    except ValidationError as exc:
        raise SystemExit(str(exc)) from None
    box = SecretBox.from_keys(settings.secrets_key)

    async def step(session: AsyncSession) -> None:
        supplier = await supplier_service.create(session, data, box)
        source = "the environment's" if supplier.credentials_from_environment else "its own"
        _say(f"added supplier {supplier.siret} ({supplier.name}), {source} credentials")

    _run(settings, step)


def list_suppliers(settings: Settings) -> None:
    async def step(session: AsyncSession) -> None:
        for supplier in await supplier_service.list(session):
            source = "environment" if supplier.credentials_from_environment else "own"
            expires = supplier.password_expires_on or "unknown"
            _say(
                f"{supplier.siret}  {supplier.name}  {supplier.environment}  "
                f"credentials: {source}  password expires: {expires}"
            )

    _run(settings, step)


def set_credentials(
    settings: Settings, siret: str, piste_client_id: str | None, technical_login: str | None
) -> None:
    """Its own credentials; with neither option, the environment's from now on."""
    credentials = None
    if piste_client_id or technical_login:
        if not (piste_client_id and technical_login):
            raise SystemExit("give both --piste-client-id and --technical-login, or neither")
        credentials = _credentials(piste_client_id, technical_login)
    box = SecretBox.from_keys(settings.secrets_key)

    async def step(session: AsyncSession) -> None:
        await supplier_service.set_credentials(session, siret, credentials, box)
        _say(f"supplier {siret}: credentials set")

    _run(settings, step)


def remove_supplier(settings: Settings, siret: str) -> None:
    async def step(session: AsyncSession) -> None:
        await supplier_service.remove(session, siret)
        _say(f"removed supplier {siret}")

    _run(settings, step)


def rotate_key(settings: Settings) -> None:
    """Re-encrypt every stored secret with the first key of GATEWAY_SECRETS_KEY.

    Put the new key first and keep the old one after it, run this, then drop the old one.
    """
    if settings.secrets_key is None:
        raise SystemExit("GATEWAY_SECRETS_KEY is not set: put the new key first, the old after")
    box = SecretBox.from_keys(settings.secrets_key)

    async def step(session: AsyncSession) -> tuple[int, int]:
        return (
            await webhook_service.reseal(session, box),
            await supplier_service.reseal(session, box),
        )

    webhooks, suppliers = _run(settings, step)
    _say(f"re-encrypted {webhooks} webhook secrets and {suppliers} supplier credentials")


def ensure_development_key(settings: Settings, path: Path) -> bool:
    """`make run`: one admin key, written to `path` (0600) for the README's curl lines.

    Kept while the database still knows it; made again after the data folder is removed.
    True when a new key was written.
    """

    written = path.read_text().strip() if path.exists() else None

    async def step(session: AsyncSession) -> str | None:
        if written is not None and await api_key_service.authenticate(session, written):
            return None
        _, token = await api_key_service.create(session, DEVELOPMENT_KEY_NAME, [Scope.ADMIN])
        return token

    token = _run(settings, step)
    if token is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    path.chmod(0o600)
    return True
