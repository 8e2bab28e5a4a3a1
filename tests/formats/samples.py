"""Invoice documents covering the shapes the CII generator must render validly."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from app.invoices.document import InvoiceDocument

SUPPLIER_SIRET = "81234567600017"
RECIPIENT_SIRET = "21330063500025"
IBAN = "FR7630006000011234567890189"

_MINIMAL: dict[str, Any] = {
    "number": "F2024-0001",
    "issue_date": "2024-05-02",
    "supplier": {"name": "Atelier Dupont SARL", "siret": SUPPLIER_SIRET},
    "recipient": {"name": "Commune de Bordeaux", "siret": RECIPIENT_SIRET},
    "lines": [
        {"name": "Prestation de conseil", "quantity": "2", "unit_price": "450", "vat_rate": "20"}
    ],
}

_FULL: dict[str, Any] = {
    "number": "F-2024/0042+B",
    "issue_date": "2024-05-02",
    "due_date": "2024-06-01",
    "supplier": {
        "name": "Atelier Dupont & Fils <SARL>",
        "siret": SUPPLIER_SIRET,
        "vat_id": "FR44812345676",
        "address": {
            "line1": "12 rue des Lilas",
            "line2": "Bâtiment B",
            "postal_code": "33000",
            "city": "Bordeaux",
        },
    },
    "recipient": {
        "name": "Commune de Bordeaux",
        "siret": RECIPIENT_SIRET,
        "vat_id": "FR59213300635",
        "address": {"line1": "Place Pey-Berland", "postal_code": "33000", "city": "Bordeaux"},
    },
    "service_code": "SERVICE-FACTURES-01",
    "engagement_number": "EJ-1300012345",
    "payment": {"type_code": "30", "iban": IBAN, "bic": "AGRIFRPP"},
    "notes": [{"text": "Merci de rappeler le numéro d'engagement."}],
    "lines": [
        {
            "id": "A1",
            "name": "Fournitures",
            "quantity": "3",
            "unit_price": "33.335",
            "vat_rate": "20",
        },
        {
            "name": "Livres",
            "quantity": "7",
            "unit_code": "H87",
            "unit_price": "12.345",
            "vat_rate": "5.5",
        },
        {"name": "Abonnement", "quantity": "0.333", "unit_price": "19.99", "vat_rate": "20"},
    ],
}

_ZERO_RATED: dict[str, Any] = {
    **_MINIMAL,
    "number": "Z-1",
    "supplier": {"name": "Librairie du Port", "siret": SUPPLIER_SIRET, "vat_id": "FR44812345676"},
    "payment": {"type_code": "42", "iban": IBAN},
    "lines": [
        {
            "name": "Manuel scolaire",
            "quantity": "10",
            "unit_price": "9.99",
            "vat_category": "Z",
            "vat_rate": "0",
        },
    ],
}

_NOT_SUBJECT: dict[str, Any] = {
    **_MINIMAL,
    "number": "O-1",
    "payment": {"iban": IBAN},
    "lines": [
        {
            "name": "Débours",
            "quantity": "1",
            "unit_price": "120",
            "vat_category": "O",
            "vat_rate": "0",
        },
        {
            "name": "Frais de dossier",
            "quantity": "2",
            "unit_price": "15.5",
            "vat_category": "O",
            "vat_rate": "0",
        },
    ],
}


def make_document(data: dict[str, Any], **overrides: Any) -> InvoiceDocument:
    """A validated document from a base payload, with top-level fields replaced."""
    payload = deepcopy(data)
    payload.update(overrides)
    return InvoiceDocument.model_validate(payload)


def ten_line_document() -> InvoiceDocument:
    """The benchmark shape: ten lines at two rates, all optional fields filled."""
    lines = [
        {"name": f"Article {i}", "quantity": str(i), "unit_price": f"{i}.125", "vat_rate": "20"}
        if i % 2
        else {"name": f"Article {i}", "quantity": "1.5", "unit_price": "10.01", "vat_rate": "5.5"}
        for i in range(1, 11)
    ]
    return make_document(_FULL, lines=lines)


DOCUMENTS: dict[str, InvoiceDocument] = {
    "minimal": make_document(_MINIMAL),
    "full": make_document(_FULL),
    "zero_rated": make_document(_ZERO_RATED),
    "not_subject": make_document(_NOT_SUBJECT),
    "service_code_only": make_document(_MINIMAL, number="S-1", service_code="SRV42"),
    "engagement_only": make_document(_MINIMAL, number="E-1", engagement_number="EJ42"),
    "iban_without_bic": make_document(_MINIMAL, number="I-1", payment={"iban": IBAN}),
    "ten_lines": ten_line_document(),
}

EN16931_CLEAN = ("full", "not_subject", "ten_lines", "zero_rated")
"""Samples whose data also meet the EN 16931 business rules (the others omit e.g. the seller VAT
id, which BR-S-02 requires: a gap for the pre-flight checks, not for the generator)."""
