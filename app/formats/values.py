"""How model values become XML text and codes, shared by the CII and UBL builders and readers.

One place for the number formats, scheme identifiers and Chorus-specific codes, so that the two
syntaxes (and the readers that map them back) can never disagree.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Final, get_args

from app.document import (
    CENT,
    AllowanceCharge,
    BillingFrame,
    InvoiceDocument,
    InvoiceLine,
    VatBreakdown,
    round_amount,
)

XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'
EN16931_CUSTOMIZATION: Final = "urn:cen.eu:en16931:2017"
"""BT-24: CII GuidelineSpecifiedDocumentContextParameter, UBL CustomizationID."""

SIRET_LEGAL_SCHEME: Final = "0002"
"""ISO 6523 ICD put on the legal registration id (BT-30/BT-47) that carries the SIRET; the
existing CII choice, kept for UBL so both syntaxes say the same."""
SIRET_IDENTIFIER_SCHEME: Final = "0009"
"""ICD 0009 (SIRET-CODE) on UBL PartyIdentification (BT-29/BT-46), where Chorus Pro reads the
supplier of a UBL flux (API.md 5.3); Odoo's Chorus Pro UBL export uses the same scheme."""
ELECTRONIC_ADDRESS_SCHEME: Final = "0225"
"""EAS 0225 (French electronic invoicing address) on BT-34/BT-49."""
VAT_SCHEME_CII: Final = "VA"
VAT_SCHEME_UBL: Final = "VAT"
DEFAULT_PAYMENT_MEANS: Final = "30"
"""Chorus rejects a CII without PaymentMeans/TypeCode (OCA l10n-france #414); 30 = transfer."""
ATTACHMENT_TYPE_CODE: Final = "916"
"""UNTDID 1001 "related document": the CII TypeCode of a supporting document (BG-24)."""
PROJECT_DOCUMENT_TYPE_CODE: Final = "50"
"""UBL credit notes have no ProjectReference: EN 16931 puts BT-11 in a typed document reference."""
PROJECT_NAME: Final = "Project reference"
"""CII requires a project Name next to BT-11; EN 16931 has no field for it."""

# Chorus Pro codeCadreFacturation -> the short code its fluxes carry in BT-23 ("A1" in the
# AIFE Factur-X samples, "Généralités.Cadre"); see docs/invoice-model.md for the sources.
BILLING_FRAME_CODES: Final[dict[str, str]] = {
    frame: frame.split("_", 1)[0] for frame in get_args(BillingFrame)
}
_FRAMES_BY_CODE: Final = {code: frame for frame, code in BILLING_FRAME_CODES.items()}

# EN 16931 BR-AE/IC/G/O-10 want an exemption reason on those VAT breakdowns. The VATEX code is
# unambiguous for these categories; "E" has many legal grounds, so it only gets a text.
DEFAULT_EXEMPTIONS: Final[dict[str, tuple[str, str | None]]] = {
    "E": ("Exonération de TVA", None),
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Livraison intracommunautaire exonérée", "VATEX-EU-IC"),
    "G": ("Exportation hors UE exonérée", "VATEX-EU-G"),
    "O": ("Non soumis à la TVA", "VATEX-EU-O"),
}

_NOTE_WITH_SUBJECT: Final = re.compile(r"#([A-Za-z0-9]{1,3})#(.*)", re.DOTALL)


def format_amount(value: Decimal) -> str:
    """EN 16931 amounts: exactly two decimals, never exponent notation, never "-0.00"."""
    rounded = round_amount(value)
    return format(rounded if rounded else abs(rounded), "f")


@lru_cache(maxsize=4096)
def format_decimal(value: Decimal) -> str:
    """Quantities, unit prices and rates: as precise as given, at least two decimals, no exponent.

    Rates come normalised from the totals (20 becomes 2E+1), hence `format(..., "f")`. Cached:
    the same rates, prices and quantities recur, and equal Decimals give the same text.
    """
    normalized = value.normalize() if value else Decimal(0)
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        normalized = normalized.quantize(CENT)
    return format(normalized, "f")


def billing_frame_code(frame: str) -> str:
    return BILLING_FRAME_CODES[frame]


def billing_frame_from_code(code: str) -> BillingFrame | None:
    """BT-23 back to codeCadreFacturation; the long Chorus names are accepted too."""
    value = code.strip()
    if value in BILLING_FRAME_CODES:
        return value  # type: ignore[return-value]
    return _FRAMES_BY_CODE.get(value)  # type: ignore[return-value]


def exemption_for(breakdown: VatBreakdown) -> tuple[str | None, str | None] | None:
    """BT-120/BT-121 of a breakdown: the document's own reason, else a sensible default.

    S and Z never carry one (BR-S-10, BR-Z-10); the others must (BR-E/AE/IC/G/O-10).
    """
    if breakdown.category in ("S", "Z"):
        return None
    if breakdown.exemption_reason or breakdown.exemption_code:
        return breakdown.exemption_reason, breakdown.exemption_code
    return DEFAULT_EXEMPTIONS.get(breakdown.category)


def line_id(line: InvoiceLine, position: int) -> str:
    """BT-126 is mandatory; the model lets the ERP omit it, so the position stands in."""
    return line.id if line.id else str(position)


def price_discount(line: InvoiceLine) -> Decimal | None:
    """BT-147 = gross price (BT-148) - net price (BT-146), when the ERP gave a gross price."""
    if line.gross_price is None:
        return None
    return line.gross_price - line.unit_price


def note_text(text: str, subject_code: str | None) -> str:
    """UBL has no element for BT-21: the EN 16931 usage prefixes the note with #CODE#."""
    return f"#{subject_code}#{text}" if subject_code else text


def split_note(value: str) -> tuple[str, str | None]:
    """The inverse of `note_text`: (text, subject code)."""
    match = _NOTE_WITH_SUBJECT.fullmatch(value)
    if match is None:
        return value, None
    return match.group(2), match.group(1)


def allowance_vat(entry: AllowanceCharge) -> tuple[str, Decimal | None]:
    """(category, rate) of a document-level allowance or charge, as `compute_totals` groups it:
    S when the ERP gave no category, rate 0 when it gave none, no rate at all for O (BR-O-05)."""
    category = entry.vat_category or "S"
    if category == "O":
        return category, None
    return category, entry.vat_rate if entry.vat_rate is not None else Decimal(0)


def payment_means_code(document: InvoiceDocument) -> str | None:
    """BT-81: the ERP's code; else 30 for an invoice (Chorus Pro wants a TypeCode, OCA #414),
    nothing for a credit note, which OCA sends without payment means (API.md 6.10)."""
    if document.payment is not None:
        return document.payment.type_code
    return None if document.type_code == "381" else DEFAULT_PAYMENT_MEANS
