"""Every flux state (API.md §4.2) and invoice status (§4.3) has a gateway meaning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.invoices.lifecycle import (
    CHORUS_STATUSES,
    COMMENT_STATUSES,
    FLUX_STATES,
    FluxOutcome,
    InvoiceStatus,
    event_type,
    flux_outcome,
    gateway_status,
    needs_comment,
)

# Copied from API.md §4.2, in its order.
FLUX_STATES_OF_API_MD = [
    "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
    "IN_RECU",
    "IN_TRAITE_SE_CPP",
    "IN_EN_ATTENTE_TRAITEMENT_CPP",
    "IN_EN_COURS_TRAITEMENT_CPP",
    "IN_EN_ATTENTE_RETRAITEMENT_CPP",
    "IN_INTEGRE",
    "IN_INTEGRE_PARTIEL",
    "IN_REJETE",
    "IN_INCIDENTE",
    "IN_A_RELANCER",
    "IN_ERREUR_INTERNE",
    "QP_RECEVABLE",
    "QP_RECEVABLE_AVEC_ERREUR",
    "QP_IRRECEVABLE",
]

# Copied from API.md §4.3: the main table, then the long tail, in their order.
MAIN_STATUSES = [
    "DEPOSEE",
    "EN_COURS_ACHEMINEMENT",
    "MISE_A_DISPOSITION",
    "A_RECYCLER",
    "REJETEE",
    "SUSPENDUE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
    "COMPLETEE",
]
LONG_TAIL = [
    "BROUILLON",
    "A_VALIDER_1",
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
    "REFUSEE_1",
    "VALIDEE_1",
    "ABSENCE_VALIDATION_1_HORS_DELAI",
    "A_VALIDER_2",
    "ERREUR_COTRAITANT_SUR_VALIDEUR",
    "REFUSEE_2",
    "VALIDEE_2",
    "ABSENCE_VALIDATION_2_HORS_DELAI",
    "ERREUR_FOURNISSEUR_SUR_MOE",
    "ABANDONNEE",
    "SUPPRIMEE",
    "ASSOCIEE",
    "EN_COURS_TRAITEMENT_PIVOT_S",
    "A_VALIDER_MOE",
    "REFUSEE_MOE",
    "EN_ATTENTE_RECYCLAGE_FOURNISSEUR",
    "ERREUR_MOE_SUR_FOURNISSEUR",
    "ERREUR_MOA_SUR_FOURNISSEUR",
    "INTERPRETEE_OCR",
    "ERREUR_FOURNISSEUR_SUR_MOA",
    "ERREUR_MOE_SUR_MOA",
    "ERREUR_DESTINATAIRE_PD",
    "ERREUR_DESTINATAIRE_EA",
    "NON_CONFORME",
    "A_ASSOCIER_MOE",
    "ERREUR_DE_MOE",
    "MISE_A_DISPOSITION_MOE",
    "PRISE_EN_COMPTE_MOE",
    "A_ASSOCIER_MOA",
    "ERREUR_DE_MOA",
    "REFUSEE_MOA",
    "A_ASSOCIER_FOURNISSEUR",
    "REFUSEE_FOURNISSEUR",
    "A_COMPLETER",
    "TRANSMISE_MOA",
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "REMPLACEE_PAR_A22",
    "DUPLIQUE_APRES_REFUS",
    "MISE_A_DISPOSITION_MOA",
    "PRISE_EN_COMPTE_MOA",
    "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE",
    "TECHNIQUE_INCONNU",
]
ALL_STATUSES = MAIN_STATUSES + LONG_TAIL
DOC = (Path(__file__).parents[2] / "docs" / "lifecycle.md").read_text()


def test_every_status_of_api_md_is_mapped_and_nothing_else() -> None:
    assert len(ALL_STATUSES) == len(set(ALL_STATUSES)) == 57
    assert set(CHORUS_STATUSES) == set(ALL_STATUSES)


def test_every_flux_state_of_api_md_is_mapped_and_nothing_else() -> None:
    assert set(FLUX_STATES) == set(FLUX_STATES_OF_API_MD)


@pytest.mark.parametrize("code", ALL_STATUSES)
def test_each_status_maps_and_is_documented(code: str) -> None:
    mapped = CHORUS_STATUSES[code]
    expected = InvoiceStatus.SUBMITTED if mapped is None else mapped
    assert gateway_status(code, InvoiceStatus.SUBMITTED) is expected
    assert f"| `{code}` |" in DOC, f"{code} missing from docs/lifecycle.md"
    assert needs_comment(code) == (
        mapped in (InvoiceStatus.REJECTED, InvoiceStatus.ACTION_REQUIRED, InvoiceStatus.FAILED)
    )


@pytest.mark.parametrize("state", FLUX_STATES_OF_API_MD)
def test_each_flux_state_is_documented(state: str) -> None:
    assert f"| `{state}` |" in DOC, f"{state} missing from docs/lifecycle.md"


def test_main_lifecycle() -> None:
    expected = {
        "DEPOSEE": "delivered",
        "EN_COURS_ACHEMINEMENT": "delivered",
        "MISE_A_DISPOSITION": "delivered",
        "COMPLETEE": "delivered",
        "SUSPENDUE": "action_required",
        "A_RECYCLER": "action_required",
        "REJETEE": "rejected",
        "SERVICE_FAIT": "approved",
        "MANDATEE": "approved",
        "MISE_A_DISPOSITION_COMPTABLE": "approved",
        "COMPTABILISEE": "approved",
        "MISE_EN_PAIEMENT": "paid",
    }
    assert {c: gateway_status(c, InvoiceStatus.DELIVERED).value for c in expected} == expected
    assert {"REJETEE", "SUSPENDUE", "A_RECYCLER"} <= COMMENT_STATUSES
    assert not {"DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MISE_EN_PAIEMENT"} & (
        COMMENT_STATUSES
    )


def test_long_tail_refusals_errors_and_abandons() -> None:
    for code in ("REFUSEE_1", "REFUSEE_2", "REFUSEE_MOE", "REFUSEE_MOA", "NON_CONFORME"):
        assert gateway_status(code, InvoiceStatus.DELIVERED) is InvoiceStatus.REJECTED
    for code in ALL_STATUSES:
        if code.startswith("ERREUR_"):
            assert gateway_status(code, InvoiceStatus.DELIVERED) is InvoiceStatus.ACTION_REQUIRED
    for code in ("ABANDONNEE", "SUPPRIMEE"):
        assert gateway_status(code, InvoiceStatus.DELIVERED) is InvoiceStatus.FAILED


def test_unknown_status_keeps_the_summary_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.invoices.lifecycle"):
        assert gateway_status("STATUT_INVENTE", InvoiceStatus.APPROVED) is InvoiceStatus.APPROVED
        assert flux_outcome("IN_ETAT_INVENTE") is FluxOutcome.PENDING
    assert "STATUT_INVENTE" in caplog.text and "IN_ETAT_INVENTE" in caplog.text
    assert not needs_comment("STATUT_INVENTE")


def test_flux_outcomes() -> None:
    assert flux_outcome("IN_INTEGRE") is FluxOutcome.INTEGRATED
    assert flux_outcome("IN_INTEGRE_PARTIEL") is FluxOutcome.INTEGRATED
    assert flux_outcome("IN_REJETE") is FluxOutcome.REJECTED
    assert flux_outcome("IN_INCIDENTE") is FluxOutcome.REJECTED
    assert flux_outcome("IN_EN_ATTENTE_RETRAITEMENT_CPP") is FluxOutcome.PENDING


def test_event_types() -> None:
    action = InvoiceStatus.ACTION_REQUIRED
    assert event_type(action, "SUSPENDUE") == "invoice.suspended"
    assert event_type(action, "A_RECYCLER") == "invoice.to_recycle"
    assert event_type(action, "EN_ATTENTE_RECYCLAGE_FOURNISSEUR") == "invoice.to_recycle"
    assert event_type(action, "A_COMPLETER") == "invoice.suspended"
    assert event_type(InvoiceStatus.REJECTED, "REJETEE") == "invoice.rejected"
    assert event_type(InvoiceStatus.PAID, "MISE_EN_PAIEMENT") == "invoice.paid"
