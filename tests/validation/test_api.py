"""Through the API: a refused invoice is a 422 listing every failed rule, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.main import create_app
from app.models import Invoice, OutboxMessage
from app.validation import check_payload
from tests.support.keys import app_client

from .conftest import Payload, payload


def broken(p: Payload) -> None:
    p["number"] = "FACTURE 2026 NUMERO 42"
    p["service_code"] = "FACTURES_PUBLIQUES"
    p["supplier"].pop("vat_id")
    p["lines"][1].update(vat_category="Z", vat_rate="20")
    p["allowances"] = [{"amount": "10.005"}]
    p["totals"] = {"tax": "1.00", "payable": "2.00"}


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_refused_invoice_lists_every_failed_rule_and_stores_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    body = payload(broken)
    response = await client.post("/v1/invoices", json=body, headers={"Idempotency-Key": "v-1"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    _, expected = check_payload(body, today=today)
    assert problem["errors"] == [e.model_dump(exclude_none=True) for e in expected]
    assert {(e["code"], e["field"]) for e in problem["errors"]} >= {
        ("CPP-NUM-01", "number"),
        ("CPP-SRV-01", "service_code"),
        ("BR-S-02", "supplier.vat_id"),
        ("BR-Z-02", "supplier.vat_id"),
        ("BR-Z-05", "lines[1].vat_rate"),
        ("BR-32", "allowances[0].vat_category"),
        ("BR-33", "allowances[0].reason"),
        ("BR-DEC-01", "allowances[0].amount"),
        ("BR-CO-14", "totals.tax"),
        ("BR-CO-16", "totals.payable"),
    }
    assert all(e["message"] and e["message_fr"] for e in problem["errors"])
    assert await count(sessionmaker, Invoice) == 0
    assert await count(sessionmaker, OutboxMessage) == 0


@pytest.fixture
async def broken_artefacts(
    settings: Settings, clean_db: None, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the official artefacts pointed at a folder that does not exist."""
    app = create_app(settings.model_copy(update={"en16931_schematron_dir": tmp_path / "missing"}))
    async with app_client(app) as client:
        yield client


async def test_unrunnable_official_rules_refuse_the_invoice(
    broken_artefacts: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    client = broken_artefacts
    response = await client.post("/v1/invoices", json=payload(), headers={"Idempotency-Key": "v-2"})
    assert response.status_code == 503, response.text
    assert response.json()["type"].endswith("/validation-unavailable")
    assert await count(sessionmaker, Invoice) == 0
