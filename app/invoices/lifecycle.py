"""Chorus Pro statuses, kept verbatim, and the gateway's stable summary built from them."""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    ACTION_REQUIRED = "action_required"
    REJECTED = "rejected"
    APPROVED = "approved"
    PAID = "paid"
    INVALID = "invalid"
    FAILED = "failed"


FINAL_STATUSES = frozenset(
    {InvoiceStatus.REJECTED, InvoiceStatus.PAID, InvoiceStatus.FAILED, InvoiceStatus.INVALID}
)

FLUX_PENDING_STATES = frozenset(
    {
        "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
        "IN_RECU",
        "IN_TRAITE_SE_CPP",
        "IN_EN_ATTENTE_TRAITEMENT_CPP",
        "IN_EN_COURS_TRAITEMENT_CPP",
        "IN_EN_ATTENTE_RETRAITEMENT_CPP",
    }
)
FLUX_INTEGRATED_STATES = frozenset({"IN_INTEGRE", "IN_INTEGRE_PARTIEL"})
FLUX_REJECTED_STATES = frozenset({"IN_REJETE", "IN_INCIDENTE"})

_CHORUS_TO_GATEWAY = {
    "DEPOSEE": InvoiceStatus.DELIVERED,
    "EN_COURS_ACHEMINEMENT": InvoiceStatus.DELIVERED,
    "MISE_A_DISPOSITION": InvoiceStatus.DELIVERED,
    "COMPLETEE": InvoiceStatus.DELIVERED,
    "SUSPENDUE": InvoiceStatus.ACTION_REQUIRED,
    "A_RECYCLER": InvoiceStatus.ACTION_REQUIRED,
    "REJETEE": InvoiceStatus.REJECTED,
    "SERVICE_FAIT": InvoiceStatus.APPROVED,
    "MANDATEE": InvoiceStatus.APPROVED,
    "MISE_A_DISPOSITION_COMPTABLE": InvoiceStatus.APPROVED,
    "COMPTABILISEE": InvoiceStatus.APPROVED,
    "MISE_EN_PAIEMENT": InvoiceStatus.PAID,
}

# Chorus statuses after which nothing more will be reported for the supplier.
CHORUS_FINAL_STATUSES = frozenset({"REJETEE", "MISE_EN_PAIEMENT"})


def gateway_status(chorus_status: str, current: InvoiceStatus) -> InvoiceStatus:
    """Unknown or circuit-specific Chorus statuses leave the summary where it was."""
    return _CHORUS_TO_GATEWAY.get(chorus_status, current)


def event_type(status: InvoiceStatus, chorus_status: str | None) -> str:
    """The webhook event type announcing that an invoice reached `status`."""
    if status is InvoiceStatus.ACTION_REQUIRED:
        return "invoice.to_recycle" if chorus_status == "A_RECYCLER" else "invoice.suspended"
    return f"invoice.{status.value}"
