"""Driving invoices through the gateway and a simulator on a clock of its own, step by step.

Jobs are called directly (no worker process), so each step of a lifecycle happens when the
test says so, and the simulator's clock is advanced instead of waiting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from app.models import Invoice, StatusSyncCursor
from app.runtime import Runtime
from app.submission.jobs import submit_invoice
from app.tracking import jobs, sync
from tests.factories import PAYS, SUPPLIER, invoice_body

STEP = 5.0
# Statuses change exactly on step boundaries; a sync asks a little after them, as a real
# one always does (the search window ends, exclusive, at the time of the call).
EPSILON = 0.01


@dataclass
class Flow:
    api: httpx.AsyncClient
    sim: httpx.AsyncClient
    runtime: Runtime

    @property
    def ctx(self) -> dict[str, Any]:
        return {"runtime": self.runtime}

    async def post(self, number: str, recipient: str = PAYS) -> str:
        response = await self.api.post(
            "/v1/invoices",
            json=invoice_body(number=number, recipient=recipient),
            headers={"Idempotency-Key": f"key-{number}"},
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def submit(self, invoice_id: str) -> str:
        return await submit_invoice(self.ctx, invoice_id)

    async def poll(self, invoice_id: str) -> str:
        return await jobs.poll_invoice(self.ctx, invoice_id)

    async def advance(self, steps: float = 1) -> None:
        response = await self.sim.post(
            "/_simulator/clock/advance", json={"seconds": steps * STEP + EPSILON}
        )
        assert response.status_code == 200, response.text

    async def sim_now(self) -> datetime:
        return datetime.fromisoformat((await self.sim.get("/_simulator/clock")).json()["now"])

    async def sync(self, supplier: str = SUPPLIER) -> sync.Report | None:
        return await jobs.sync_cycle(self.runtime, supplier, await self.sim_now())

    async def delivered(self, number: str, recipient: str = PAYS) -> str:
        """Posted, deposited, integrated and found: DEPOSEE, now under the supplier sync."""
        invoice_id = await self.post(number, recipient)
        assert await self.submit(invoice_id) == "deposited"
        await self.advance()
        assert await self.poll(invoice_id) == "ok"
        return invoice_id

    async def walk(self, invoice_id: str, steps: int) -> list[str | None]:
        """The Chorus status the gateway holds after each step and sync."""
        seen = []
        for _ in range(steps):
            await self.advance()
            await self.sync()
            seen.append((await self.invoice(invoice_id))["chorus_status"])
        return seen

    async def invoice(self, invoice_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/v1/invoices/{invoice_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def stats(self) -> dict[str, int]:
        return dict((await self.sim.get("/_simulator/stats")).json()["calls"])

    async def sim_invoice(self, chorus_id: int) -> dict[str, Any]:
        return dict((await self.sim.get(f"/_simulator/invoices/{chorus_id}")).json())

    async def decide(self, chorus_id: int, status: str, comment: str = "") -> None:
        response = await self.sim.post(
            f"/_simulator/invoices/{chorus_id}/status", json={"status": status, "comment": comment}
        )
        assert response.status_code == 200, response.text

    async def row(self, invoice_id: str) -> Invoice:
        async with self.runtime.unit_of_work() as session:
            found = await session.get(Invoice, uuid.UUID(invoice_id))
            assert found is not None
            return found

    async def set_column(self, invoice_id: str, **values: Any) -> None:
        async with self.runtime.unit_of_work() as session:
            found = await session.get(Invoice, uuid.UUID(invoice_id))
            assert found is not None
            for name, value in values.items():
                setattr(found, name, value)

    async def cursor(self, supplier: str = SUPPLIER) -> StatusSyncCursor | None:
        async with self.runtime.unit_of_work() as session:
            return await session.scalar(
                select(StatusSyncCursor).where(StatusSyncCursor.supplier_siret == supplier)
            )


def chorus_path(invoice: dict[str, Any]) -> list[str]:
    return [h["chorus_status"] for h in invoice["history"] if h["source"] == "chorus"]


def calls_between(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
    }
