"""The operator's commands, run as an operator runs them: keys, suppliers, rotate-key.

Secrets are read from stdin (a terminal would be asked), never from arguments, and never
printed back.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.access.service import api_key_service
from app.kit.secretbox import SecretBox

OTHER = "73282932000074"
PISTE_SECRET = "piste-secret-Hk2"
TECH_PASSWORD = "tech-password-Jp7"


def cli(
    database_url: str, *args: str, stdin: str = "", key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "GATEWAY_LOG_LEVEL": "WARNING"}
    env.pop("GATEWAY_SECRETS_KEY", None)
    if key is not None:
        env["GATEWAY_SECRETS_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def old_key() -> str:
    return Fernet.generate_key().decode()


async def stored_supplier(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, object]:
    async with sessionmaker() as session:
        query = text("SELECT * FROM suppliers WHERE siret = :siret")
        return dict((await session.execute(query, {"siret": OTHER})).mappings().one())


async def test_keys_create_list_revoke(
    database_url: str, sessionmaker: async_sessionmaker[AsyncSession], clean_db: None
) -> None:
    made = cli(database_url, "keys", "create", "--name", "erp", "--scope", "invoices:write")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("cgk_") and "shown once" in made.stderr
    async with sessionmaker() as session:
        principal = await api_key_service.authenticate(session, key)
    assert principal is not None and principal.name == "erp"

    listed = cli(database_url, "keys", "list")
    assert listed.returncode == 0 and "erp" in listed.stdout and key not in listed.stdout
    revoked = cli(database_url, "keys", "revoke", str(principal.key_id))
    assert revoked.returncode == 0, revoked.stderr
    async with sessionmaker() as session:
        api_key_service._remembered.clear()  # this process remembered it for a few seconds
        assert await api_key_service.authenticate(session, key) is None
    unknown = cli(database_url, "keys", "create", "--name", "x", "--scope", "superuser")
    assert unknown.returncode != 0


async def test_suppliers_add_list_set_credentials_remove(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
    old_key: str,
) -> None:
    added = cli(
        database_url,
        *("suppliers", "add", OTHER, "--name", "AUTRE ENTITE"),
        *("--piste-client-id", "cid-b", "--technical-login", "TECH_B@cpro.fr"),
        stdin=f"{PISTE_SECRET}\n{TECH_PASSWORD}\n",
        key=old_key,
    )
    assert added.returncode == 0, added.stderr
    assert "its own credentials" in added.stdout
    row = await stored_supplier(sessionmaker)
    assert row["technical_login"] == "TECH_B@cpro.fr"
    box = SecretBox.from_keys(SecretStr(old_key))
    assert box.decrypt(str(row["technical_password_enc"])) == TECH_PASSWORD
    assert PISTE_SECRET not in str(row) and TECH_PASSWORD not in str(row)

    listed = cli(database_url, "suppliers", "list", key=old_key)
    assert OTHER in listed.stdout and "credentials: own" in listed.stdout
    for output in (added.stdout + added.stderr, listed.stdout + listed.stderr):
        assert PISTE_SECRET not in output and TECH_PASSWORD not in output

    back = cli(database_url, "suppliers", "set-credentials", OTHER, key=old_key)
    assert back.returncode == 0, back.stderr
    assert (await stored_supplier(sessionmaker))["credentials_from_environment"] is True

    half = cli(database_url, "suppliers", "set-credentials", OTHER, "--piste-client-id", "x")
    assert half.returncode != 0 and "--technical-login" in half.stderr
    bad = cli(database_url, "suppliers", "add", "12345678901234", "--name", "X")
    assert bad.returncode != 0 and "siret" in bad.stderr.lower()

    removed = cli(database_url, "suppliers", "remove", OTHER)
    assert removed.returncode == 0, removed.stderr
    missing = cli(database_url, "suppliers", "remove", OTHER)
    assert missing.returncode != 0 and OTHER in missing.stderr


async def test_rotate_key_reencrypts_every_secret(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
    old_key: str,
) -> None:
    added = cli(
        database_url,
        *("suppliers", "add", OTHER, "--name", "AUTRE ENTITE"),
        *("--piste-client-id", "cid-b", "--technical-login", "TECH_B@cpro.fr"),
        stdin=f"{PISTE_SECRET}\n{TECH_PASSWORD}\n",
        key=old_key,
    )
    assert added.returncode == 0, added.stderr
    new_key = Fernet.generate_key().decode()

    rotated = cli(database_url, "rotate-key", key=f"{new_key},{old_key}")
    assert rotated.returncode == 0, rotated.stderr
    assert "2 supplier credentials" in rotated.stdout
    row = await stored_supplier(sessionmaker)
    only_new = SecretBox.from_keys(SecretStr(new_key))
    assert only_new.decrypt(str(row["piste_client_secret_enc"])) == PISTE_SECRET
    assert only_new.decrypt(str(row["technical_password_enc"])) == TECH_PASSWORD

    no_key = cli(database_url, "rotate-key")
    assert no_key.returncode != 0 and "GATEWAY_SECRETS_KEY" in no_key.stderr
