"""Two suppliers of one group, each with its own PISTE application and technical account.

One gateway, one simulator that knows both accounts: each invoice is deposited with its
seller's credentials, and each supplier's key sees only its own invoices.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from app.access.principal import Scope
from app.config import Settings
from app.main import create_app
from app.runtime import Runtime
from app.simulator import SimulatorSettings
from app.simulator import create_app as create_simulator
from app.simulator.settings import Account
from app.submission.jobs import submit_invoice
from tests.conftest import worker_runtime
from tests.factories import SUPPLIER, invoice_body
from tests.support.keys import bearer, grant
from tests.support.live import serve

OTHER = "73282932000074"
OTHER_ACCOUNT = Account(
    client_id="group-b-client",
    client_secret=SecretStr("group-b-secret-Zq8"),
    technical_login="TECH_2_group_b@cpro.fr",
    technical_password=SecretStr("group-b-password-Wx3"),
)


def other_body(number: str, siret: str = OTHER, vat_id: str = "FR44732829320") -> dict[str, Any]:
    body = invoice_body(number=number)
    body["supplier"].update(siret=siret, vat_id=vat_id, name="AUTRE ENTITE SAS")
    return body


@pytest.fixture(scope="module")
def group_simulator_url() -> Iterator[str]:
    with serve(create_simulator(SimulatorSettings(accounts=[OTHER_ACCOUNT]))) as url:
        yield url


@dataclass
class Group:
    admin: httpx.AsyncClient
    runtime: Runtime
    sim: httpx.AsyncClient
    sessionmaker: Any

    async def client_for(self, siret: str) -> httpx.AsyncClient:
        scopes = [Scope.INVOICES_WRITE, Scope.INVOICES_READ]
        key = await grant(self.sessionmaker, scopes, [siret], name=f"erp of {siret}")
        return httpx.AsyncClient(
            transport=self.admin._transport, base_url="http://gateway", headers=bearer(key)
        )


@pytest.fixture
async def group(
    database_url: str, redis_url: str, group_simulator_url: str, clean_db: None
) -> AsyncIterator[Group]:
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        chorus_api_url=group_simulator_url,
        piste_token_url=f"{group_simulator_url}/api/oauth/token",
        directory_preflight_enabled=False,
        secrets_key=SecretStr(Fernet.generate_key().decode()),
        chorus_timeout=10.0,
    )
    runtime = await worker_runtime(settings)
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(base_url=group_simulator_url, timeout=30) as sim,
        ):
            await sim.post("/_simulator/reset")
            admin_key = await grant(app.state.sessionmaker)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://gateway", headers=bearer(admin_key)
            ) as admin:
                yield Group(admin, runtime, sim, app.state.sessionmaker)
    finally:
        await runtime.close()


async def add_other_supplier(group: Group) -> httpx.Response:
    return await group.admin.post(
        "/v1/suppliers",
        json={
            "siret": OTHER,
            "name": "AUTRE ENTITE SAS",
            "default_syntax": "IN_DP_E1_UBL_INVOICE",
            "credentials": {
                "piste_client_id": OTHER_ACCOUNT.client_id,
                "piste_client_secret": OTHER_ACCOUNT.client_secret.get_secret_value(),
                "technical_login": OTHER_ACCOUNT.technical_login,
                "technical_password": OTHER_ACCOUNT.technical_password.get_secret_value(),
            },
        },
    )


async def test_each_invoice_is_deposited_with_its_sellers_credentials(group: Group) -> None:
    added = await add_other_supplier(group)
    assert added.status_code == 201, added.text
    for secret in (OTHER_ACCOUNT.client_secret, OTHER_ACCOUNT.technical_password):
        assert secret.get_secret_value() not in added.text
    assert added.json()["credentials_from_environment"] is False

    async with (
        await group.client_for(SUPPLIER) as first,
        await group.client_for(OTHER) as second,
    ):
        mine = await first.post(
            "/v1/invoices", json=invoice_body(number="GRP-A-1"), headers={"Idempotency-Key": "a"}
        )
        theirs = await second.post(
            "/v1/invoices", json=other_body("GRP-B-1"), headers={"Idempotency-Key": "b"}
        )
        assert mine.status_code == theirs.status_code == 202, (mine.text, theirs.text)
        ctx = {"runtime": group.runtime}
        assert await submit_invoice(ctx, mine.json()["id"]) == "deposited"
        assert await submit_invoice(ctx, theirs.json()["id"]) == "deposited"

        deposits = (await group.sim.get("/_simulator/stats")).json()["deposits"]
        logins = {d["numeroFacture"]: (d["technical_login"], d["syntaxeFlux"]) for d in deposits}
        assert logins == {
            "GRP-A-1": ("TECH_1_sim@cpro.fr", "IN_DP_E1_CII_16B"),
            "GRP-B-1": (OTHER_ACCOUNT.technical_login, "IN_DP_E1_UBL_INVOICE"),
        }

        # Each key sees its own supplier's invoices, and nothing of the other's.
        listed = (await first.get("/v1/invoices")).json()["data"]
        assert [i["number"] for i in listed] == ["GRP-A-1"]
        assert (await first.get(f"/v1/invoices/{theirs.json()['id']}")).status_code == 404
        assert (await second.get(f"/v1/invoices/{mine.json()['id']}/status")).status_code == 404
        cross = await second.post(
            "/v1/invoices", json=invoice_body(number="GRP-X"), headers={"Idempotency-Key": "x"}
        )
        assert cross.status_code == 403, cross.text
        assert cross.json()["errors"][0]["field"] == "supplier.siret"


async def test_secrets_are_sealed_at_rest_and_never_read_back(group: Group) -> None:
    assert (await add_other_supplier(group)).status_code == 201
    async with group.sessionmaker() as session:
        row = (
            (await session.execute(text("SELECT * FROM suppliers WHERE siret = :s"), {"s": OTHER}))
            .mappings()
            .one()
        )
    stored = " ".join(str(v) for v in row.values())
    for secret in (OTHER_ACCOUNT.client_secret, OTHER_ACCOUNT.technical_password):
        assert secret.get_secret_value() not in stored
    for url in ("/v1/suppliers", f"/v1/suppliers/{OTHER}"):
        shown = (await group.admin.get(url)).text
        assert OTHER_ACCOUNT.technical_login in shown
        assert "group-b-secret" not in shown and "group-b-password" not in shown


async def test_an_unknown_seller_is_422_naming_supplier_siret(group: Group) -> None:
    response = await group.admin.post(
        "/v1/invoices",
        json=other_body("GRP-U-1", "55208131710009", "FR03552081317"),
        headers={"Idempotency-Key": "u"},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["supplier.siret"]


async def test_health_checks_the_credentials_against_chorus_pro(group: Group) -> None:
    assert (await add_other_supplier(group)).status_code == 201
    healthy = await group.admin.get(f"/v1/suppliers/{OTHER}/health")
    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["token"] == "ok"

    wrong = {
        "piste_client_id": OTHER_ACCOUNT.client_id,
        "piste_client_secret": "not-the-secret",
        "technical_login": OTHER_ACCOUNT.technical_login,
        "technical_password": "not-the-password",
    }
    changed = await group.admin.put(f"/v1/suppliers/{OTHER}/credentials", json=wrong)
    assert changed.status_code == 200, changed.text
    refused = (await group.admin.get(f"/v1/suppliers/{OTHER}/health")).json()
    assert refused["token"] == "refused"
    assert "not-the-secret" not in str(refused)
    supplier = (await group.admin.get(f"/v1/suppliers/{OTHER}")).json()
    assert supplier["credentials_rejected_at"] is not None
    messages = (await group.admin.get("/v1/webhook-messages")).json()["data"]
    assert "supplier.credentials_rejected" in [m["event_type"] for m in messages]
