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


_D = InvoiceStatus.DELIVERED
_A = InvoiceStatus.ACTION_REQUIRED
_R = InvoiceStatus.REJECTED
_OK = InvoiceStatus.APPROVED
_F = InvoiceStatus.FAILED

# None: a known status that says nothing new to the ERP (keep the summary as it is).
CHORUS_STATUSES: dict[str, InvoiceStatus | None] = {
    # Main supplier-visible lifecycle (API.md §4.3, codes 01-12).
    "DEPOSEE": _D,
    "EN_COURS_ACHEMINEMENT": _D,
    "MISE_A_DISPOSITION": _D,
    "A_RECYCLER": _A,
    "REJETEE": _R,
    "SUSPENDUE": _A,
    "SERVICE_FAIT": _OK,
    "MANDATEE": _OK,
    "MISE_A_DISPOSITION_COMPTABLE": _OK,
    "COMPTABILISEE": _OK,
    "MISE_EN_PAIEMENT": InvoiceStatus.PAID,
    "COMPLETEE": _D,
    # Before deposit: never expected for a deposited flux, nothing to say.
    "BROUILLON": None,
    "INTERPRETEE_OCR": None,
    # Validation circuits (cadres A9/A12...): in progress, refused, or a data error to fix.
    "A_VALIDER_1": _D,
    "VALIDEE_1": _D,
    "REFUSEE_1": _R,
    "ABSENCE_VALIDATION_1_HORS_DELAI": _D,
    "A_VALIDER_2": _D,
    "VALIDEE_2": _D,
    "REFUSEE_2": _R,
    "ABSENCE_VALIDATION_2_HORS_DELAI": _D,
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR": _A,
    "ERREUR_COTRAITANT_SUR_VALIDEUR": _A,
    # Works invoices (project manager MOE, contracting authority MOA).
    "ASSOCIEE": _D,
    "EN_COURS_TRAITEMENT_PIVOT_S": _D,
    "A_VALIDER_MOE": _D,
    "A_ASSOCIER_MOE": _D,
    "A_ASSOCIER_MOA": _D,
    "A_ASSOCIER_FOURNISSEUR": _A,
    "MISE_A_DISPOSITION_MOE": _D,
    "PRISE_EN_COMPTE_MOE": _D,
    "MISE_A_DISPOSITION_MOA": _D,
    "PRISE_EN_COMPTE_MOA": _D,
    "TRANSMISE_MOA": _D,
    "PRISE_EN_COMPTE_DESTINATAIRE": _D,
    "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE": _D,
    "A_COMPLETER": _A,
    "EN_ATTENTE_RECYCLAGE_FOURNISSEUR": _A,
    "ERREUR_FOURNISSEUR_SUR_MOE": _A,
    "ERREUR_MOE_SUR_FOURNISSEUR": _A,
    "ERREUR_MOA_SUR_FOURNISSEUR": _A,
    "ERREUR_FOURNISSEUR_SUR_MOA": _A,
    "ERREUR_MOE_SUR_MOA": _A,
    "ERREUR_DE_MOE": _A,
    "ERREUR_DE_MOA": _A,
    "ERREUR_DESTINATAIRE_PD": _A,
    "ERREUR_DESTINATAIRE_EA": _A,
    "REFUSEE_MOE": _R,
    "REFUSEE_MOA": _R,
    "REFUSEE_FOURNISSEUR": _R,
    "NON_CONFORME": _R,
    "DUPLIQUE_APRES_REFUS": _R,  # a copy was made after a refusal: this one is over
    # Over on Chorus without a decision on the invoice: a person must look.
    "ABANDONNEE": _F,
    "SUPPRIMEE": _F,
    "REMPLACEE_PAR_A22": _F,
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
