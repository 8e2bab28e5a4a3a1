"""A valid base invoice that each unit test breaks in exactly one way."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.document import InvoiceDocument
from app.kit.errors import FieldError
from app.validation import check_rules

TODAY = date(2026, 11, 26)
IBAN = "FR7630006000011234567890189"

BASE: dict[str, Any] = {
    "number": "FA-2026-00042",
    "issue_date": "2026-11-20",
    "due_date": "2026-12-20",
    "supplier": {
        "name": "EXEMPLE SERVICES SAS",
        "siret": "81234567600017",
        "vat_id": "FR19812345676",
        "address": {"line1": "12 rue des Exemples", "postal_code": "75011", "city": "Paris"},
    },
    "recipient": {
        "name": "COMMUNE DE SAINT-EXEMPLE",
        "siret": "21330063500025",
        "address": {"line1": "1 place de la Mairie", "postal_code": "33000"},
    },
    "service_code": "SERV-FINANCES",
    "engagement_number": "EJ1300458721",
    "payment": {"type_code": "30", "iban": IBAN},
    "lines": [
        {"name": "Maintenance (heure)", "quantity": "10", "unit_price": "120.00", "vat_rate": "20"},
        {"name": "Déplacement", "quantity": "3", "unit_price": "45.50", "vat_rate": "20"},
    ],
}

Payload = dict[str, Any]


def payload(change: Callable[[Payload], object] | None = None) -> Payload:
    data = copy.deepcopy(BASE)
    if change is not None:
        change(data)
    return data


def document(change: Callable[[Payload], object] | None = None) -> InvoiceDocument:
    return InvoiceDocument.model_validate(payload(change))


def failures(doc: InvoiceDocument) -> set[tuple[str, str]]:
    """(rule id, JSON path) of every violation; every error must carry both messages."""
    errors = check_rules(doc, today=TODAY)
    for error in errors:
        assert_complete(error)
    return {(str(error.code), error.field) for error in errors}


def assert_complete(error: FieldError) -> None:
    assert error.code and error.field
    assert error.message.strip() and "{" not in error.message, error
    assert error.message_fr and error.message_fr.strip() and "{" not in error.message_fr, error


@pytest.fixture
def base_document() -> InvoiceDocument:
    return document()
