"""Invoice documents covering the shapes every generator must render validly.

`DOCUMENTS` holds the hand-made shapes (every field of the model is set by at least one of them);
`corpus_documents()` adds the shared fixture corpus in tests/fixtures/invoices when it exists.
"""

from __future__ import annotations

import base64
import json
from copy import deepcopy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.document import InvoiceDocument

SUPPLIER_SIRET = "81234567600017"
RECIPIENT_SIRET = "21330063500025"
IBAN = "FR7630006000011234567890189"
CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "invoices"

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

_ATTACHMENT = base64.b64encode(b"%PDF-1.4 bon de livraison sign\xc3\xa9").decode()

_EVERYTHING: dict[str, Any] = {
    "number": "FX-2024-0099",
    "type_code": "380",
    "issue_date": "2024-05-31",
    "due_date": "2024-06-30",
    "tax_point_date": "2024-05-31",
    "currency": "EUR",
    "billing_frame": "A1_FACTURE_FOURNISSEUR",
    "supplier": {
        "name": "Société Générale d'Études Ç&Œ",
        "trading_name": "SGE Conseil",
        "siret": SUPPLIER_SIRET,
        "vat_id": "FR44812345676",
        "electronic_address": SUPPLIER_SIRET,
        "address": {
            "line1": "1 avenue de l'Opéra",
            "line2": "3e étage",
            "line3": "Boîte 12",
            "postal_code": "75001",
            "city": "Paris",
            "subdivision": "Île-de-France",
            "country_code": "FR",
        },
        "contact": {"name": "Élodie Martin", "phone": "+33 1 23 45 67 89", "email": "e@sge.fr"},
    },
    "recipient": {
        "name": "Commune de Bordeaux",
        "trading_name": "Mairie de Bordeaux",
        "siret": RECIPIENT_SIRET,
        "vat_id": "FR59213300635",
        "electronic_address": RECIPIENT_SIRET,
        "address": {"line1": "Place Pey-Berland", "postal_code": "33000", "city": "Bordeaux"},
        "contact": {"name": "Service comptable", "email": "compta@bordeaux.fr"},
    },
    "service_code": "SERV-FINANCES",
    "engagement_number": "EJ-1300012345",
    "contract_reference": "MARCHE-2023-17",
    "project_reference": "PRJ-TRAM-D",
    "notes": [
        {"text": "Pénalités de retard : 3 fois le taux d'intérêt légal.", "subject_code": "PMD"},
        {"text": "Indemnité forfaitaire pour frais de recouvrement : 40 €.", "subject_code": "PMT"},
        {"text": "Note libre\navec retour à la ligne"},
    ],
    "invoicing_period": {"start": "2024-05-01", "end": "2024-05-31"},
    "delivery": {
        "date": "2024-05-20",
        "party_name": "Dépôt municipal",
        "address": {"line1": "Quai de Brazza", "postal_code": "33100", "city": "Bordeaux"},
    },
    "payment": {
        "type_code": "30",
        "iban": IBAN,
        "account_name": "SGE Conseil",
        "bic": "AGRIFRPP",
        "remittance_information": "FX-2024-0099",
    },
    "payment_terms": "Paiement à 30 jours fin de mois, sans escompte.",
    "lines": [
        {
            "id": "10",
            "name": "Étude de faisabilité",
            "description": "Phase 1 : diagnostic et préconisations",
            "note": "Selon devis D-2024-03",
            "quantity": "12.5",
            "unit_code": "HUR",
            "unit_price": "95.00",
            "gross_price": "100.00",
            "vat_category": "S",
            "vat_rate": "20",
            "period": {"start": "2024-05-01", "end": "2024-05-15"},
            "order_line_reference": "EJ-L1",
            "buyer_accounting_reference": "6226-ETUDES",
            "allowances": [{"amount": "25.00", "reason": "Remise fidélité", "reason_code": "95"}],
            "charges": [
                {
                    "base_amount": "1187.50",
                    "percentage": "2",
                    "reason": "Frais de gestion",
                    "reason_code": "ABL",
                }
            ],
        },
        {
            "id": "20",
            "name": "Fournitures au cent",
            "quantity": "250",
            "unit_code": "H87",
            "unit_price": "12.40",
            "price_base_quantity": "100",
            "vat_rate": "10",
        },
        {
            "id": "30",
            "name": "Formation des agents",
            "quantity": "1",
            "unit_price": "800",
            "vat_category": "E",
            "vat_rate": "0",
        },
    ],
    "allowances": [
        {
            "base_amount": "1000",
            "percentage": "5",
            "reason": "Remise commerciale",
            "reason_code": "95",
            "vat_category": "S",
            "vat_rate": "20",
        }
    ],
    "charges": [
        {
            "amount": "15",
            "reason": "Frais de port",
            "reason_code": "FC",
            "vat_category": "S",
            "vat_rate": "20",
        }
    ],
    "vat_exemptions": [
        {
            "category": "E",
            "reason": "Exonération - article 261-4-4° du CGI (formation professionnelle)",
            "code": "VATEX-EU-132-1I",
        }
    ],
    "prepaid_amount": "100.00",
    "rounding_amount": "0.01",
    "attachments": [
        {
            "id": "BL-778",
            "description": "Bon de livraison signé",
            "file_name": "bon_livraison.pdf",
            "mime_type": "application/pdf",
            "content": _ATTACHMENT,
        }
    ],
}

_CREDIT_NOTE: dict[str, Any] = {
    **_MINIMAL,
    "number": "AV-2024-0007",
    "type_code": "381",
    "issue_date": "2024-06-10",
    "due_date": "2024-06-10",
    "tax_point_date": "2024-06-10",
    "supplier": {"name": "Atelier Dupont SARL", "siret": SUPPLIER_SIRET, "vat_id": "FR44812345676"},
    "service_code": "SERV-FINANCES",
    "engagement_number": "EJ-1300012345",
    "project_reference": "PRJ-TRAM-D",
    "payment": {"type_code": "58", "iban": IBAN},
    "preceding_invoices": [
        {"number": "F2024-0001", "issue_date": "2024-05-02"},
        {"number": "F2024-0002"},
    ],
    "notes": [{"text": "Avoir pour erreur de quantité sur la facture F2024-0001."}],
    "lines": [
        {
            "name": "Prestation de conseil (trop facturé)",
            "quantity": "1",
            "unit_price": "450",
            "vat_rate": "20",
        }
    ],
}

_REVERSE_CHARGE_AND_EXPORT: dict[str, Any] = {
    **_MINIMAL,
    "number": "X-AEKG",
    "supplier": {"name": "Export SA", "siret": SUPPLIER_SIRET, "vat_id": "FR44812345676"},
    "recipient": {
        "name": "Commune de Bordeaux",
        "siret": RECIPIENT_SIRET,
        "vat_id": "FR59213300635",
    },
    "lines": [
        {
            "name": "Sous-traitance BTP",
            "quantity": "1",
            "unit_price": "1000",
            "vat_category": "AE",
            "vat_rate": "0",
        },
        {
            "name": "Livraison UE",
            "quantity": "2",
            "unit_price": "50",
            "vat_category": "K",
            "vat_rate": "0",
        },
        {
            "name": "Export",
            "quantity": "3",
            "unit_price": "10",
            "vat_category": "G",
            "vat_rate": "0",
        },
    ],
    "vat_exemptions": [{"category": "AE", "code": "VATEX-EU-AE"}],
    "delivery": {"date": "2024-04-30", "address": {"country_code": "DE"}},
    "payment": {"type_code": "30", "iban": IBAN},
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
    "everything": make_document(_EVERYTHING),
    "credit_note": make_document(_CREDIT_NOTE),
    "credit_note_minimal": make_document(
        _CREDIT_NOTE,
        number="AV-2024-0008",
        due_date=None,
        payment=None,
        project_reference=None,
        preceding_invoices=[{"number": "F2024-0001", "issue_date": "2024-05-02"}],
    ),
    "corrective": make_document(
        _FULL,
        number="F-2024-0043",
        type_code="384",
        preceding_invoices=[{"number": "F-2024/0042+B", "issue_date": "2024-05-02"}],
    ),
    "prepayment": make_document(_FULL, number="AC-2024-01", type_code="386"),
    "already_paid": make_document(
        _MINIMAL,
        number="P-1",
        billing_frame="A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
        prepaid_amount="1080.00",
        payment={"type_code": "48"},
    ),
    "subcontractor": make_document(_FULL, number="ST-1", billing_frame="A9_FACTURE_SOUSTRAITANT"),
    "co_contractor": make_document(_FULL, number="CT-1", billing_frame="A12_FACTURE_COTRAITANT"),
    "reverse_charge_and_export": make_document(_REVERSE_CHARGE_AND_EXPORT),
}

EN16931_CLEAN = (
    "everything",
    "full",
    "not_subject",
    "ten_lines",
    "zero_rated",
    "credit_note",
    "credit_note_minimal",
    "corrective",
    "prepayment",
    "subcontractor",
    "co_contractor",
    "reverse_charge_and_export",
)
"""Samples whose data also meet the EN 16931 business rules (the others omit e.g. the seller VAT
id, which BR-S-02 requires: a gap for the pre-flight checks, not for the generator)."""


def corpus_documents() -> dict[str, InvoiceDocument]:
    """The valid documents of the shared fixture corpus, by file name.

    A fixture is `{"description", "expect_rules", "document"}`; the valid ones expect no rule
    to fail. The others are negative cases for the checks, not for the generators.
    """
    documents: dict[str, InvoiceDocument] = {}
    if not CORPUS.is_dir():
        return documents
    for path in sorted(CORPUS.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(data, dict) or "document" not in data:
            continue
        if data.get("expect_rules", [] if path.name.startswith("valid") else None) != []:
            continue
        try:
            documents[path.stem] = InvoiceDocument.model_validate(data["document"])
        except ValidationError:
            continue
    return documents


def all_documents() -> dict[str, InvoiceDocument]:
    return {**DOCUMENTS, **{f"corpus:{name}": doc for name, doc in corpus_documents().items()}}
