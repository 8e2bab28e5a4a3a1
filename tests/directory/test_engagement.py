"""The optional engagement check with rechercherEngagementJuridique (off by default)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.chorus import ChorusClient
from app.directory import DirectoryPolicy, directory_errors
from app.runtime import Runtime
from app.submission.jobs import submit_invoice
from tests.factories import invoice_body, invoice_document
from tests.support.simulator import SimulatorAdmin

from .conftest import TIMEOUT

VERIFY = DirectoryPolicy(
    ttl=timedelta(days=1),
    lookup_timeout=TIMEOUT,
    refresh_interval=timedelta(minutes=5),
    refresh_batch_size=50,
    verify_engagement=True,
)


@pytest.mark.parametrize(
    ("engagement", "codes"),
    [
        ("EJ1300458721", []),
        ("EJ2026000001", []),
        ("EJ2019000099", ["CPP-DIR-11"]),  # not in state COMMANDE
        ("EJ0000000000", ["CPP-DIR-11"]),
    ],
)
async def test_engagement_is_looked_up_when_asked(
    engagement: str,
    codes: list[str],
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    async with sessionmaker() as session, session.begin():
        errors = await directory_errors(
            session, chorus, invoice_document(engagement=engagement), TIMEOUT, policy=VERIFY
        )
    assert [e.code for e in errors] == codes
    assert (await simulator.calls())["rechercherEngagementJuridique"] == 1


async def test_engagement_is_not_looked_up_by_default(
    chorus: ChorusClient,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
    clean_db: None,
) -> None:
    async with sessionmaker() as session, session.begin():
        errors = await directory_errors(
            session, chorus, invoice_document(engagement="EJ0000000000"), TIMEOUT
        )
    assert errors == []
    assert "rechercherEngagementJuridique" not in await simulator.calls()


async def test_unknown_engagement_makes_the_invoice_invalid_in_the_job(
    client: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"directory_verify_engagement": True})
    body = invoice_body(engagement="EJ0000000000")
    created = await client.post("/v1/invoices", json=body, headers={"Idempotency-Key": "ej-1"})
    assert created.status_code == 202, created.text
    invoice_id = created.json()["id"]
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "invalid"
    invoice = (await client.get(f"/v1/invoices/{invoice_id}")).json()
    assert "CPP-DIR-11" in invoice["status_comment"]


async def test_unreachable_engagement_api_postpones_the_invoice(
    client: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"directory_verify_engagement": True})
    await simulator.fault("rechercherEngagementJuridique", status=403)
    created = await client.post(
        "/v1/invoices", json=invoice_body(), headers={"Idempotency-Key": "ej-2"}
    )
    invoice_id = created.json()["id"]
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deferred"
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deposited"
