"""The pre-flight in the submission job: ERP -> API -> job -> simulator over HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.time import utcnow
from app.models.directory import CachedStructure
from app.models.invoice import Invoice, InvoiceEvent
from app.models.webhook import WebhookMessage
from app.runtime import Runtime
from app.submission.jobs import submit_invoice
from tests.factories import invoice_body
from tests.support.simulator import SimulatorAdmin

PAYS = "21330063500025"
EJ = "EJ1300458721"


async def post_invoice(
    client: httpx.AsyncClient, key: str, recipient: str = PAYS, **changes: Any
) -> str:
    body = invoice_body(recipient=recipient, **changes)
    answer = await client.post("/v1/invoices", json=body, headers={"Idempotency-Key": key})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


async def deposits(simulator: SimulatorAdmin) -> list[dict[str, Any]]:
    stats = (await simulator.client.get("/_simulator/stats")).json()
    return list(stats["deposits"])


async def test_valid_invoice_is_deposited(
    client: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    invoice_id = await post_invoice(client, "valid-1")
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deposited"
    body = (await client.get(f"/v1/invoices/{invoice_id}")).json()
    assert body["status"] == "submitted"
    assert len(await deposits(simulator)) == 1


INVALID = [
    pytest.param("21330100500012", None, EJ, ["CPP-DIR-04"], id="service-missing"),
    pytest.param(PAYS, "SERV-INCONNU", EJ, ["CPP-DIR-06"], id="service-unknown"),
    pytest.param("21330107000016", "SERV-FINANCES", EJ, ["CPP-DIR-07"], id="service-inactive"),
    # FACTURES_PUBLIQUES never gets this far: the rule engine refuses it at POST (CPP-SRV-01);
    # tests/directory/test_combinations.py covers CPP-DIR-05 itself.
    pytest.param("21330101300016", "SERV-FINANCES", None, ["CPP-DIR-08"], id="ej-structure"),
    pytest.param("21330109600011", "SERV-MARCHES", None, ["CPP-DIR-09"], id="ej-service"),
    pytest.param("21330103900011", None, None, ["CPP-DIR-10", "CPP-DIR-10"], id="either-one"),
    pytest.param("21330106200013", "SERV-FINANCES", EJ, ["CPP-DIR-02"], id="inactive"),
    pytest.param("21330063500033", "SERV-FINANCES", EJ, ["CPP-DIR-01"], id="unknown-siret"),
]


@pytest.mark.parametrize(("recipient", "service", "engagement", "codes"), INVALID)
async def test_invoice_failing_the_directory_becomes_invalid(
    recipient: str,
    service: str | None,
    engagement: str | None,
    codes: list[str],
    client: httpx.AsyncClient,
    runtime: Runtime,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    invoice_id = await post_invoice(
        client, f"invalid-{recipient}", recipient, service=service, engagement=engagement
    )
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "invalid"

    body = (await client.get(f"/v1/invoices/{invoice_id}")).json()
    assert body["status"] == "invalid"
    for code in codes:
        assert code in body["status_comment"]
    assert body["history"][-1]["status"] == "invalid"
    assert await deposits(simulator) == []
    async with sessionmaker() as session:
        invoice = await session.get(Invoice, uuid.UUID(invoice_id))
        assert invoice is not None
        assert invoice.reuses_number_allowed is True
        assert invoice.next_submit_at is None
        event = await session.scalar(
            select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.status == "invalid")
            .limit(1)
        )
        assert event is not None and event.details is not None
        assert [e["code"] for e in event.details["errors"]] == codes
        assert all(e["message_fr"] for e in event.details["errors"])
        messages = (
            await session.scalars(
                select(WebhookMessage).where(WebhookMessage.invoice_id == invoice.id)
            )
        ).all()
        assert "invoice.invalid" in [m.event_type for m in messages]

    # The job may run again: nothing changes and nothing is deposited.
    await submit_invoice({"runtime": runtime}, invoice_id)
    assert await deposits(simulator) == []


async def test_number_of_an_invalid_invoice_can_be_used_again(
    client: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    first = await post_invoice(client, "reuse-1", "21330100500012", service=None)
    assert await submit_invoice({"runtime": runtime}, first) == "invalid"
    second = await post_invoice(client, "reuse-2", "21330100500012", service="SERV-ACCUEIL")
    assert await submit_invoice({"runtime": runtime}, second) == "deposited"


async def test_unreachable_directory_postpones_the_invoice(
    client: httpx.AsyncClient,
    runtime: Runtime,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await simulator.fault("rechercherStructure", status=503)
    invoice_id = await post_invoice(client, "unreachable-1")
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deferred"

    async with sessionmaker() as session:
        invoice = await session.get(Invoice, uuid.UUID(invoice_id))
        assert invoice is not None
        assert invoice.status == "accepted"
        assert invoice.next_submit_at is not None and invoice.next_submit_at > utcnow()
        assert invoice.last_error and "directory" in invoice.last_error
        kinds = (
            await session.scalars(
                select(WebhookMessage.event_type).where(WebhookMessage.invoice_id == invoice.id)
            )
        ).all()
        assert "invoice.invalid" not in kinds
    assert await deposits(simulator) == []

    # Chorus answers again: the next run checks and deposits.
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deposited"
    async with sessionmaker() as session:
        invoice = await session.get(Invoice, uuid.UUID(invoice_id))
        assert invoice is not None and invoice.last_error is None


async def expire_all(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(CachedStructure).values(expires_at=utcnow() - timedelta(hours=1))
        )


async def test_stale_entry_never_makes_an_invoice_invalid(
    client: httpx.AsyncClient,
    runtime: Runtime,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.get("/v1/directory/structures/21330100500012")).status_code == 200
    await expire_all(sessionmaker)
    await simulator.fault("rechercherStructure", status=503)
    invoice_id = await post_invoice(client, "stale-1", "21330100500012", service=None)
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deferred"


async def test_stale_entry_that_passes_lets_the_invoice_through(
    client: httpx.AsyncClient,
    runtime: Runtime,
    simulator: SimulatorAdmin,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    first = await post_invoice(client, "warm-1", number="WARM-1")
    assert await submit_invoice({"runtime": runtime}, first) == "deposited"
    await expire_all(sessionmaker)
    await simulator.fault("rechercherStructure", status=503)
    invoice_id = await post_invoice(client, "stale-2", number="STALE-2")
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deposited"


async def test_cached_entry_spares_chorus_calls(
    client: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    first = await post_invoice(client, "cache-1", number="CACHE-1")
    assert await submit_invoice({"runtime": runtime}, first) == "deposited"
    calls = await simulator.directory_calls()
    second = await post_invoice(client, "cache-2", number="CACHE-2")
    assert await submit_invoice({"runtime": runtime}, second) == "deposited"
    assert await simulator.directory_calls() == calls


async def test_preflight_can_be_switched_off(
    client: httpx.AsyncClient, runtime: Runtime, simulator: SimulatorAdmin
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"directory_preflight_enabled": False})
    invoice_id = await post_invoice(client, "off-1", "21330100500012", service=None)
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deposited"
    assert await simulator.directory_calls() == 0


@pytest.mark.parametrize(("recipient", "reports"), [(PAYS, True), ("21310555400017", False)])
async def test_preflight_records_whether_the_recipient_reports_payment(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessionmaker: async_sessionmaker[AsyncSession],
    recipient: str,
    reports: bool,
) -> None:
    invoice_id = await post_invoice(client, f"reports-{recipient}", recipient)
    assert await submit_invoice({"runtime": runtime}, invoice_id) == "deposited"
    async with sessionmaker() as session:
        invoice = await session.get(Invoice, uuid.UUID(invoice_id))
        assert invoice is not None and invoice.recipient_reports_payment is reports
