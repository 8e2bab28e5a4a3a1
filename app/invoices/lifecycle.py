"""Chorus Pro statuses, kept verbatim, and the gateway's stable summary built from them.

Every flux state of API.md §4.2 and every invoice status of §4.3 (the long tail of validation
circuits and works invoices included) is listed here; docs/lifecycle.md shows the same table.
A value Chorus sends that is not listed keeps the summary where it was and is logged.
"""

from __future__ import annotations

import logging
from enum import StrEnum

logger = logging.getLogger(__name__)


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


class EventSource(StrEnum):
    """Who an invoice's history line comes from."""

    ERP = "erp"  # the ERP's request (posting, an action)
    GATEWAY = "gateway"  # the gateway's own decision
    CHORUS = "chorus"  # what Chorus Pro said


FINAL_STATUSES = frozenset(
    {InvoiceStatus.REJECTED, InvoiceStatus.PAID, InvoiceStatus.FAILED, InvoiceStatus.INVALID}
)


class FluxOutcome(StrEnum):
    PENDING = "pending"  # keep asking consulterCRDetaille
    INTEGRATED = "integrated"  # look for our invoice in the flux
    REJECTED = "rejected"  # the flux (so our invoice) was refused; the number is free again
    FAILED = "failed"  # Chorus gave up on its side; a human must look


FLUX_STATES: dict[str, FluxOutcome] = {
    "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP": FluxOutcome.PENDING,
    "IN_RECU": FluxOutcome.PENDING,
    "IN_TRAITE_SE_CPP": FluxOutcome.PENDING,
    "IN_EN_ATTENTE_TRAITEMENT_CPP": FluxOutcome.PENDING,
    "IN_EN_COURS_TRAITEMENT_CPP": FluxOutcome.PENDING,
    "IN_EN_ATTENTE_RETRAITEMENT_CPP": FluxOutcome.PENDING,  # may last: manual reprocessing
    "IN_INTEGRE": FluxOutcome.INTEGRATED,
    "IN_INTEGRE_PARTIEL": FluxOutcome.INTEGRATED,  # ours may be in listeErreurDP
    "IN_REJETE": FluxOutcome.REJECTED,
    "IN_INCIDENTE": FluxOutcome.REJECTED,  # "resubmit the whole flux"
    # Seen once each in third-party code (API.md §4.2 [U]).
    "IN_A_RELANCER": FluxOutcome.PENDING,
    "IN_ERREUR_INTERNE": FluxOutcome.FAILED,
    "QP_RECEVABLE": FluxOutcome.PENDING,
    "QP_RECEVABLE_AVEC_ERREUR": FluxOutcome.PENDING,
    "QP_IRRECEVABLE": FluxOutcome.REJECTED,
}


def flux_outcome(state: str) -> FluxOutcome:
    """Unknown flux states are treated as still pending, and logged."""
    outcome = FLUX_STATES.get(state)
    if outcome is None:
        logger.warning("unknown Chorus flux state %r: still treated as pending", state)
        return FluxOutcome.PENDING
    return outcome


# None: a known status that says nothing new to the ERP (keep the summary as it is).
CHORUS_STATUSES: dict[str, InvoiceStatus | None] = {
    # Main supplier-visible lifecycle (API.md §4.3, codes 01-12).
    "DEPOSEE": InvoiceStatus.DELIVERED,
    "EN_COURS_ACHEMINEMENT": InvoiceStatus.DELIVERED,
    "MISE_A_DISPOSITION": InvoiceStatus.DELIVERED,
    "A_RECYCLER": InvoiceStatus.ACTION_REQUIRED,
    "REJETEE": InvoiceStatus.REJECTED,
    "SUSPENDUE": InvoiceStatus.ACTION_REQUIRED,
    "SERVICE_FAIT": InvoiceStatus.APPROVED,
    "MANDATEE": InvoiceStatus.APPROVED,
    "MISE_A_DISPOSITION_COMPTABLE": InvoiceStatus.APPROVED,
    "COMPTABILISEE": InvoiceStatus.APPROVED,
    "MISE_EN_PAIEMENT": InvoiceStatus.PAID,
    "COMPLETEE": InvoiceStatus.DELIVERED,
    # Before deposit: never expected for a deposited flux, nothing to say.
    "BROUILLON": None,
    "INTERPRETEE_OCR": None,
    # Validation circuits (cadres A9/A12...): in progress, refused, or a data error to fix.
    "A_VALIDER_1": InvoiceStatus.DELIVERED,
    "VALIDEE_1": InvoiceStatus.DELIVERED,
    "REFUSEE_1": InvoiceStatus.REJECTED,
    "ABSENCE_VALIDATION_1_HORS_DELAI": InvoiceStatus.DELIVERED,
    "A_VALIDER_2": InvoiceStatus.DELIVERED,
    "VALIDEE_2": InvoiceStatus.DELIVERED,
    "REFUSEE_2": InvoiceStatus.REJECTED,
    "ABSENCE_VALIDATION_2_HORS_DELAI": InvoiceStatus.DELIVERED,
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_COTRAITANT_SUR_VALIDEUR": InvoiceStatus.ACTION_REQUIRED,
    # Works invoices (project manager MOE, contracting authority MOA).
    "ASSOCIEE": InvoiceStatus.DELIVERED,
    "EN_COURS_TRAITEMENT_PIVOT_S": InvoiceStatus.DELIVERED,
    "A_VALIDER_MOE": InvoiceStatus.DELIVERED,
    "A_ASSOCIER_MOE": InvoiceStatus.DELIVERED,
    "A_ASSOCIER_MOA": InvoiceStatus.DELIVERED,
    "A_ASSOCIER_FOURNISSEUR": InvoiceStatus.ACTION_REQUIRED,
    "MISE_A_DISPOSITION_MOE": InvoiceStatus.DELIVERED,
    "PRISE_EN_COMPTE_MOE": InvoiceStatus.DELIVERED,
    "MISE_A_DISPOSITION_MOA": InvoiceStatus.DELIVERED,
    "PRISE_EN_COMPTE_MOA": InvoiceStatus.DELIVERED,
    "TRANSMISE_MOA": InvoiceStatus.DELIVERED,
    "PRISE_EN_COMPTE_DESTINATAIRE": InvoiceStatus.DELIVERED,
    "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE": InvoiceStatus.DELIVERED,
    "A_COMPLETER": InvoiceStatus.ACTION_REQUIRED,
    "EN_ATTENTE_RECYCLAGE_FOURNISSEUR": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_FOURNISSEUR_SUR_MOE": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_MOE_SUR_FOURNISSEUR": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_MOA_SUR_FOURNISSEUR": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_FOURNISSEUR_SUR_MOA": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_MOE_SUR_MOA": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_DE_MOE": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_DE_MOA": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_DESTINATAIRE_PD": InvoiceStatus.ACTION_REQUIRED,
    "ERREUR_DESTINATAIRE_EA": InvoiceStatus.ACTION_REQUIRED,
    "REFUSEE_MOE": InvoiceStatus.REJECTED,
    "REFUSEE_MOA": InvoiceStatus.REJECTED,
    "REFUSEE_FOURNISSEUR": InvoiceStatus.REJECTED,
    "NON_CONFORME": InvoiceStatus.REJECTED,
    # A copy was made after a refusal: this one is over.
    "DUPLIQUE_APRES_REFUS": InvoiceStatus.REJECTED,
    # Over on Chorus without a decision on the invoice: a person must look.
    "ABANDONNEE": InvoiceStatus.FAILED,
    "SUPPRIMEE": InvoiceStatus.FAILED,
    "REMPLACEE_PAR_A22": InvoiceStatus.FAILED,
    "TECHNIQUE_INCONNU": None,
}

# Statuses that ask the supplier to re-address the invoice (webhook `invoice.to_recycle`).
RECYCLE_STATUSES = frozenset({"A_RECYCLER", "EN_ATTENTE_RECYCLAGE_FOURNISSEUR"})

# After these, a recipient that does not report payment (statutMiseEnPaiementNestPasRemonte)
# will say nothing more: the invoice ends there.
PAYMENT_NOT_REPORTED_END = frozenset({"MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE"})

# Whose reason (histoStatutCommentaire) the ERP needs: worth one consulterHistoriqueFacture.
COMMENT_STATUSES = frozenset(
    code
    for code, status in CHORUS_STATUSES.items()
    if status in (InvoiceStatus.REJECTED, InvoiceStatus.ACTION_REQUIRED, InvoiceStatus.FAILED)
)


def gateway_status(chorus_status: str, current: InvoiceStatus) -> InvoiceStatus:
    """The summary for a Chorus status; neutral or unknown statuses keep `current`."""
    if chorus_status not in CHORUS_STATUSES:
        logger.warning("unknown Chorus invoice status %r: summary kept", chorus_status)
        return current
    return CHORUS_STATUSES[chorus_status] or current


def needs_comment(chorus_status: str) -> bool:
    return chorus_status in COMMENT_STATUSES


def event_type(status: InvoiceStatus, chorus_status: str | None) -> str:
    """The webhook event type announcing that an invoice reached `status`."""
    if status is InvoiceStatus.ACTION_REQUIRED:
        return "invoice.to_recycle" if chorus_status in RECYCLE_STATUSES else "invoice.suspended"
    return f"invoice.{status.value}"
