"""A sync cycle costs about one call per page of *changed* invoices, not per invoice."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.kit.time import utcnow
from app.models import Invoice, WebhookMessage
from tests.factories import PAYS, SUPPLIER
from tests.support.flow import Flow, calls_between

IN_FLIGHT = 2000
# More than the sync overlap (300 s), less than a token's life on the simulator clock.
LATER = 600.0


async def seed(flow: Flow, count: int) -> list[int]:
    """`count` invoices MISE_A_DISPOSITION on the simulator and the same in our database."""
    response = await flow.sim.post(
        "/_simulator/invoices/seed",
        json={"supplier_siret": SUPPLIER, "recipient_siret": PAYS, "count": count},
    )
    assert response.status_code == 200, response.text
    seeded = response.json()
    since = datetime.fromisoformat(seeded["dateHeureEtatCourant"])
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "idempotency_key": f"seed-{item['numeroFacture']}",
            "request_hash": "0" * 64,
            "number": item["numeroFacture"],
            "type_code": "380",
            "supplier_siret": SUPPLIER,
            "recipient_siret": PAYS,
            "issue_date": date.today(),
            "currency": "EUR",
            "total_without_vat": Decimal("1200.00"),
            "total_vat": Decimal("240.00"),
            "total_with_vat": Decimal("1440.00"),
            "amount_due": Decimal("1440.00"),
            "document": {},
            "syntax": "IN_DP_E1_CII_16B",
            "status": "delivered",
            "status_changed_at": now,
            "chorus_status": "MISE_A_DISPOSITION",
            "chorus_status_changed_at": since,
            "flux_number": seeded["numeroFluxDepot"],
            "flux_status": "IN_INTEGRE",
            "deposited_at": now,
            "chorus_invoice_id": item["identifiantFactureCPP"],
            "followed": True,
            "created_at": now,
            "updated_at": now,
            "version": 2,
        }
        for item in seeded["invoices"]
    ]
    async with flow.runtime.unit_of_work() as session:
        await session.execute(Invoice.__table__.insert(), rows)
    return [int(item["identifiantFactureCPP"]) for item in seeded["invoices"]]


async def advance_seconds(flow: Flow, seconds: float) -> None:
    await flow.sim.post("/_simulator/clock/advance", json={"seconds": seconds})


async def test_a_cycle_costs_calls_per_change_not_per_invoice_in_flight(flow: Flow) -> None:
    chorus_ids = await seed(flow, IN_FLIGHT)

    # The supplier's first cycle reads everything since the oldest status it follows.
    await advance_seconds(flow, LATER)
    first = await flow.sync()
    assert first is not None and first.seen == IN_FLIGHT and first.changed == 0

    await advance_seconds(flow, LATER)
    changes = {
        **dict.fromkeys(chorus_ids[0:8], ("SERVICE_FAIT", "")),
        **{i: ("REJETEE", f"Refus {i}") for i in chorus_ids[500:504]},
        **{i: ("SUSPENDUE", f"Pièce manquante {i}") for i in chorus_ids[1000:1004]},
        **{i: ("A_RECYCLER", f"Mauvais service {i}") for i in chorus_ids[1900:1904]},
    }
    assert len(changes) == 20
    for chorus_id, (status, comment) in changes.items():
        await flow.decide(chorus_id, status, comment)
    await advance_seconds(flow, 1)

    before = await flow.stats()
    report = await flow.sync()  # ONE cycle
    calls = calls_between(before, await flow.stats())
    assert sum(calls.values()) < 30, calls
    assert calls == {"rechercherFactureParFournisseur": 1, "consulterHistoriqueFacture": 12}
    assert report is not None and report.changed == 20 and report.seen == 20

    async with flow.runtime.unit_of_work() as session:
        changed = {
            row.chorus_invoice_id: row
            for row in await session.scalars(
                select(Invoice).where(Invoice.chorus_status != "MISE_A_DISPOSITION")
            )
        }
        rejected_events = await session.scalar(
            select(func.count())
            .select_from(WebhookMessage)
            .where(WebhookMessage.event_type == "invoice.rejected")
        )
    assert set(changed) == set(changes)
    for chorus_id, (status, comment) in changes.items():
        row = changed[chorus_id]
        assert row.chorus_status == status
        if comment:
            assert row.status_comment == comment
    assert {changed[i].status for i in chorus_ids[0:8]} == {"approved"}
    assert {changed[i].status for i in chorus_ids[1000:1004]} == {"action_required"}
    assert rejected_events == 4

    # Nothing changed since: one call, whatever the number of invoices in flight.
    await advance_seconds(flow, LATER)
    before = await flow.stats()
    quiet = await flow.sync()
    assert calls_between(before, await flow.stats()) == {"rechercherFactureParFournisseur": 1}
    assert quiet is not None and quiet.changed == 0


async def test_the_watermark_follows_committed_changes_only(flow: Flow) -> None:
    chorus_ids = await seed(flow, 3)
    await advance_seconds(flow, LATER)
    await flow.sync()
    cursor = await flow.cursor()
    assert cursor is not None and cursor.watermark is not None
    assert cursor.watermark == await flow.sim_now()
    assert cursor.supplier_structure_id is not None  # idFournisseur used from now on
    assert cursor.next_sync_at is not None and cursor.lease_token is None

    await advance_seconds(flow, LATER)
    await flow.decide(chorus_ids[0], "MANDATEE")
    await advance_seconds(flow, 1)
    await flow.sim.post(
        "/_simulator/faults", json={"operation": "rechercherFactureParFournisseur", "status": 503}
    )
    failed = await flow.sync()
    assert failed is not None and failed.error is not None
    after_failure = await flow.cursor()
    assert after_failure is not None
    assert after_failure.watermark == cursor.watermark and after_failure.failures == 1
    assert after_failure.next_sync_at is not None
    assert after_failure.next_sync_at - utcnow() > timedelta(seconds=30)  # backed off

    ok = await flow.sync()
    assert ok is not None and ok.changed == 1
    done = await flow.cursor()
    assert done is not None and done.failures == 0 and done.watermark == await flow.sim_now()
