"""Test controls that create invoices in bulk and make a recipient decide now.

Depositing thousands of fluxes to test a status sync would take minutes; these put invoices
straight into a status (nothing planned after it) and change the status of any invoice on
demand, so a test controls exactly which invoices change and when.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from app.simulator.chorus import Context
from app.simulator.documents import ParsedInvoice

MAX_SEED = 20_000


class Seed(BaseModel):
    supplier_siret: str = Field(pattern=r"^\d{14}$")
    recipient_siret: str = Field(pattern=r"^\d{14}$")
    count: int = Field(ge=1, le=MAX_SEED)
    status: str = "MISE_A_DISPOSITION"
    number_prefix: str = Field(default="SEED-", max_length=12)
    service_code: str | None = None
    engagement: str | None = None
    amount: Decimal = Decimal("1200.00")


class Decision(BaseModel):
    status: str = Field(min_length=1, max_length=60)
    comment: str = ""


def seeding_router(ctx: Context) -> APIRouter:
    router = APIRouter(prefix="/_simulator", tags=["simulator admin"])
    state = ctx.state

    @router.post("/invoices/seed")
    async def seed(body: Seed) -> dict[str, Any]:
        """Create `count` invoices already integrated and in `status` now."""
        today = ctx.fmt.local_date(state.now())
        width = len(str(body.count))
        documents = [
            _document(body, f"{body.number_prefix}{n:0{width}d}", today)
            for n in range(1, body.count + 1)
        ]
        async with state.lock:
            used = state.numbers_in_use
            taken = [d.number for d in documents if (body.supplier_siret, d.number) in used]
            if taken:
                raise HTTPException(409, f"numbers already used, e.g. {taken[0]}")
            flux = state.seed(documents, body.status)
            invoices = [state.invoices[i] for i in flux.invoice_ids]
            return {
                "numeroFluxDepot": flux.number,
                "dateHeureEtatCourant": ctx.fmt.iso(state.now()),
                "invoices": [
                    {"identifiantFactureCPP": i.id, "numeroFacture": i.number} for i in invoices
                ],
            }

    @router.post("/invoices/{invoice_id}/status")
    async def decide(invoice_id: int, body: Decision) -> dict[str, Any]:
        """The recipient (or the platform) sets this status now; later plans are dropped."""
        async with state.lock:
            invoice = state.visible_invoice(invoice_id)
            if invoice is None:
                raise HTTPException(404, "unknown or not yet integrated identifiantFactureCPP")
            state.force_status(invoice, body.status, body.comment)
            current = invoice.current(state.now())
            return {
                "identifiantFactureCPP": invoice.id,
                "statut": current.code,
                "dateHeureEtatCourant": ctx.fmt.iso(current.at),
            }

    return router


def _document(body: Seed, number: str, today: date) -> ParsedInvoice:
    vat = (body.amount * Decimal("0.2")).quantize(Decimal("0.01"))
    return ParsedInvoice(
        number=number,
        issue_date=today,
        kind="FACTURE",
        supplier_siret=body.supplier_siret,
        supplier_name="FOURNISSEUR SIMULÉ",
        recipient_siret=body.recipient_siret,
        service_code=body.service_code,
        engagement=body.engagement,
        currency="EUR",
        amount_ht=body.amount,
        amount_ttc=body.amount + vat,
        amount_payable=body.amount + vat,
        source="seeded",
    )
