"""Statuses passed between two looks at Chorus Pro are read from the history, once each."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from itertools import pairwise
from typing import Any

from sqlalchemy import select

from app.models import WebhookMessage
from app.tracking import sync
from app.tracking.policy import SyncPolicy
from app.tracking.steps import is_jump
from tests.factories import SUPPLIER
from tests.support.flow import EPSILON, Flow, calls_between, chorus_path

PAID_PATH = ["DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]


async def chorus_lines(flow: Flow, invoice_id: str) -> list[dict[str, Any]]:
    invoice = await flow.invoice(invoice_id)
    return [h for h in invoice["history"] if h["source"] == "chorus"]


async def events_of(flow: Flow, invoice_id: str) -> list[tuple[str, str | None]]:
    async with flow.runtime.unit_of_work() as session:
        messages = await session.scalars(
            select(WebhookMessage)
            .where(WebhookMessage.invoice_id == uuid.UUID(invoice_id))
            .order_by(WebhookMessage.created_at)
        )
        return [(m.event_type, json.loads(m.payload)["data"]["chorus_status"]) for m in messages]


async def one_second(flow: Flow) -> None:
    response = await flow.sim.post("/_simulator/clock/advance", json={"seconds": 1 + EPSILON})
    assert response.status_code == 200, response.text


def test_only_a_status_that_cannot_follow_the_known_one_is_a_jump() -> None:
    for known, observed in pairwise(PAID_PATH):
        assert not is_jump(known, observed)
    assert not is_jump(None, "DEPOSEE")
    assert is_jump(None, "MISE_A_DISPOSITION")
    assert is_jump("MISE_A_DISPOSITION", "MANDATEE")
    # Same rank in a coarse order, yet MANDATEE and the accounting steps were passed.
    assert is_jump("SERVICE_FAIT", "COMPTABILISEE")
    assert is_jump("MISE_A_DISPOSITION", "MISE_A_DISPOSITION")  # reached again
    assert is_jump("A_VALIDER_1", "VALIDEE_1")  # outside the known order: ask the history


async def test_a_jump_of_several_statuses_records_each_once_in_order(flow: Flow) -> None:
    invoice_id = await flow.delivered("HJ-ACC-1")
    assert await flow.walk(invoice_id, 2) == ["MISE_A_DISPOSITION", "SERVICE_FAIT"]
    chorus_id = (await flow.invoice(invoice_id))["chorus_invoice_id"]
    await flow.advance()  # MANDATEE, as planned
    await one_second(flow)
    await flow.decide(chorus_id, "MISE_A_DISPOSITION_COMPTABLE")
    await one_second(flow)
    await flow.decide(chorus_id, "COMPTABILISEE")
    await one_second(flow)
    before = await flow.stats()
    report = await flow.sync()
    assert report is not None and report.changed == 1 and report.history_calls == 1
    assert calls_between(before, await flow.stats()) == {
        "rechercherFactureParFournisseur": 1,
        "consulterHistoriqueFacture": 1,
    }
    lines = await chorus_lines(flow, invoice_id)
    assert [line["chorus_status"] for line in lines] == [
        *PAID_PATH[:4],
        "MISE_A_DISPOSITION_COMPTABLE",
        "COMPTABILISEE",
    ]
    # Each with the time Chorus Pro gives it (cut to the minute by the history), in order.
    times = [line["occurred_at"] for line in lines]
    assert times == sorted(times)
    simulated = (await flow.sim_invoice(chorus_id))["evenements"]
    assert [e["code"] for e in simulated if e["atteint"]] == [
        line["chorus_status"] for line in lines
    ]


async def test_a_flux_found_past_deposee_records_deposee_too(flow: Flow) -> None:
    invoice_id = await flow.post("HJ-LATE-1")
    assert await flow.submit(invoice_id) == "deposited"
    await flow.advance(2)  # integrated (DEPOSEE), then MISE_A_DISPOSITION before any poll
    before = await flow.stats()
    assert await flow.poll(invoice_id) == "ok"
    assert calls_between(before, await flow.stats()).get("consulterHistoriqueFacture") == 1
    invoice = await flow.invoice(invoice_id)
    assert chorus_path(invoice) == PAID_PATH[:2]
    assert invoice["status"] == "delivered"


async def test_each_status_passed_gets_its_webhook_event(flow: Flow) -> None:
    invoice_id = await flow.delivered("HJ-HOOK-1")
    await flow.advance(3)  # MISE_A_DISPOSITION, SERVICE_FAIT, MANDATEE unseen by any sync
    report = await flow.sync()
    assert report is not None and report.history_calls == 1
    assert chorus_path(await flow.invoice(invoice_id)) == PAID_PATH[:4]
    events = await events_of(flow, invoice_id)
    # approved is announced at the status that made it so, SERVICE_FAIT, not at MANDATEE.
    assert events[-2:] == [("invoice.delivered", "DEPOSEE"), ("invoice.approved", "SERVICE_FAIT")]
    await flow.advance()
    await flow.sync()
    assert (await events_of(flow, invoice_id))[-1] == ("invoice.paid", "MISE_EN_PAIEMENT")


async def test_a_sync_run_twice_records_nothing_twice(flow: Flow) -> None:
    invoice_id = await flow.delivered("HJ-TWICE-1")
    await flow.advance(3)
    policy = SyncPolicy.from_settings(flow.runtime.settings)
    now = await flow.sim_now()
    chorus = await flow.runtime.chorus_clients.for_supplier(SUPPLIER)
    async with flow.runtime.unit_of_work() as session:
        first = await sync.claim(session, SUPPLIER, now, policy)
    assert first is not None
    # The same cycle's Chorus answers, read by a job that runs twice: both record them.
    fetched = await sync.search(chorus, first, policy)
    async with flow.runtime.unit_of_work() as session:
        wanted = await sync.histories_needed(session, fetched)
    await sync.fetch_histories(chorus, fetched, wanted)
    assert len(fetched.histories) == 1
    for _ in range(2):
        async with flow.runtime.unit_of_work() as session:
            await sync.record(session, first, fetched, now, policy)
    # And a later cycle whose window overlaps it sees the same status again.
    await one_second(flow)
    before = await flow.stats()
    report = await flow.sync()
    assert report is not None and report.changed == 0 and report.history_calls == 0
    assert "consulterHistoriqueFacture" not in calls_between(before, await flow.stats())

    path = chorus_path(await flow.invoice(invoice_id))
    assert path == PAID_PATH[:4]
    assert all(n == 1 for n in Counter(path).values())
    events = [e for e, _ in await events_of(flow, invoice_id)]
    assert events.count("invoice.approved") == 1


async def test_no_history_call_while_every_status_is_seen(flow: Flow) -> None:
    invoice_id = await flow.delivered("HJ-STEP-1")
    before = await flow.stats()
    assert await flow.walk(invoice_id, 4) == PAID_PATH[1:]
    assert "consulterHistoriqueFacture" not in calls_between(before, await flow.stats())
    assert chorus_path(await flow.invoice(invoice_id)) == PAID_PATH
