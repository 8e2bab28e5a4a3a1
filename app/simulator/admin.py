"""Test controls under `/_simulator/`: not part of Chorus Pro, no authentication.

They let a test move time, inject transport faults and read what the client really sent,
which the real platform never tells you.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from app.simulator.chorus import Context
from app.simulator.gateway import KNOWN_OPERATIONS
from app.simulator.state import Fault, InvoiceRecord


class Advance(BaseModel):
    seconds: float = Field(ge=0, description="The simulator clock never goes back.")


class FaultSpec(BaseModel):
    operation: str = Field(description="An operation nickname, `token`, or `*` (every cpro call).")
    status: int | None = Field(default=None, ge=100, le=599)
    count: int | None = Field(default=1, ge=1, description="None: every call, until removed.")
    retry_after: int | None = Field(default=None, ge=0)
    delay_seconds: float = Field(default=0, ge=0)
    after: bool = Field(
        default=False, description="Play it once the call was processed (its effect stays)."
    )
    drop: bool = Field(default=False, description="Close the connection without answering.")
    probability: float = Field(default=1.0, gt=0, le=1)


def _fault_view(fault: Fault) -> dict[str, Any]:
    return {
        "operation": fault.operation,
        "status": fault.status,
        "remaining": fault.remaining,
        "retry_after": fault.retry_after,
        "delay_seconds": fault.delay_seconds,
        "after": fault.after,
        "drop": fault.drop,
        "probability": fault.probability,
    }


def _invoice_view(ctx: Context, invoice: InvoiceRecord) -> dict[str, Any]:
    now = ctx.state.now()
    doc = invoice.document
    return {
        "identifiantFactureCPP": invoice.id,
        "numeroFacture": invoice.number,
        "numeroFluxDepot": invoice.flux_number,
        "visible": invoice.visible(now),
        "statut": invoice.current(now).code if invoice.visible(now) else None,
        "fournisseur": invoice.supplier_siret,
        "destinataire": invoice.recipient.siret,
        "scenario": invoice.recipient.outcome.value,
        "codeServiceExecutant": invoice.service_code,
        "numeroBonCommande": invoice.engagement,
        "montantAPayer": None if doc.amount_payable is None else str(doc.amount_payable),
        "piecesJointesComplementaires": list(invoice.attachments),
        "evenements": [
            {
                "code": e.code,
                "at": ctx.fmt.iso(e.at),
                "atteint": e.at <= now,
                "commentaire": e.comment,
            }
            for e in sorted(invoice.events, key=lambda e: (e.at, e.id))
        ],
    }


def admin_router(ctx: Context) -> APIRouter:
    router = APIRouter(prefix="/_simulator", tags=["simulator admin"])
    state = ctx.state

    def clock_view() -> dict[str, Any]:
        now = state.now()
        return {
            "now": now.isoformat(),
            "now_local": ctx.fmt.iso(now),
            "offset_seconds": state.clock.offset.total_seconds(),
        }

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        async with state.lock:
            return {
                "calls": dict(state.calls),
                "deposits": list(state.deposits),
                "tokens_issued": state.tokens_issued,
            }

    @router.get("/clock")
    async def clock() -> dict[str, Any]:
        return clock_view()

    @router.post("/clock/advance")
    async def advance(body: Advance) -> dict[str, Any]:
        async with state.lock:
            state.clock.advance(body.seconds)
        return clock_view()

    @router.get("/faults")
    async def list_faults() -> dict[str, Any]:
        async with state.lock:
            return {"faults": [_fault_view(f) for f in state.faults]}

    @router.post("/faults")
    async def add_fault(body: FaultSpec) -> dict[str, Any]:
        if body.operation not in KNOWN_OPERATIONS | {"*"}:
            known = ", ".join(sorted(KNOWN_OPERATIONS))
            raise HTTPException(400, f"unknown operation {body.operation!r}; known: {known}")
        fault = Fault(
            body.operation,
            body.status,
            body.count,
            body.retry_after,
            body.delay_seconds,
            after=body.after,
            drop=body.drop,
            probability=body.probability,
        )
        async with state.lock:
            state.faults.append(fault)
            return {"faults": [_fault_view(f) for f in state.faults]}

    @router.delete("/faults")
    async def clear_faults() -> dict[str, Any]:
        async with state.lock:
            state.faults.clear()
        return {"faults": []}

    @router.post("/tokens/expire")
    async def expire_tokens() -> dict[str, Any]:
        async with state.lock:
            return {"expired": state.expire_tokens()}

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        async with state.lock:
            state.reset()
        return {"reset": True, **clock_view()}

    @router.get("/invoices/{invoice_id}")
    async def invoice(invoice_id: int) -> dict[str, Any]:
        async with state.lock:
            found = state.invoices.get(invoice_id)
            if found is None:
                raise HTTPException(404, "unknown identifiantFactureCPP")
            return _invoice_view(ctx, found)

    return router
