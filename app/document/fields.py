"""The scalar types of the invoice document: SIRET, IBAN, amounts, codes, and their checks."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret as stdnum_siret

CENT = Decimal("0.01")
# Chorus Pro takes files of at most 10 MB (API.md 5.4); base64 adds a third.
MAX_VISUAL_PDF_BASE64 = (10 * 1024 * 1024) * 4 // 3 + 4
HUNDRED = Decimal(100)
INVOICE_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9\-_/+]{1,20}$")


def round_amount(value: Decimal) -> Decimal:
    """EN 16931 amounts carry two decimals, rounded half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=4096)
def _check_siret(value: str) -> str:
    """Cached: an ERP sends the same few SIRETs (its own, its buyers') again and again."""
    compact = stdnum_siret.compact(value)
    try:
        return str(stdnum_siret.validate(compact))
    except StdnumValidationError as exc:
        raise ValueError("must be a SIRET of 14 digits that passes the Luhn check") from exc


def _check_pdf(value: str) -> str:
    try:
        head = base64.b64decode(value[:12], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be a PDF, base64-encoded") from exc
    if not head.startswith(b"%PDF-"):
        raise ValueError("must be a PDF (it does not start with %PDF-)")
    if len(value) > MAX_VISUAL_PDF_BASE64:
        raise ValueError("must be at most 10 MB")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be a PDF, base64-encoded") from exc
    return value


@functools.lru_cache(maxsize=1024)
def _check_iban(value: str) -> str:
    try:
        return str(stdnum_iban.validate(value))
    except StdnumValidationError as exc:
        raise ValueError("must be a valid IBAN (ISO 13616, mod 97 check)") from exc


Siret = Annotated[str, AfterValidator(_check_siret)]
Iban = Annotated[str, AfterValidator(_check_iban)]
EncodedPdf = Annotated[str, AfterValidator(_check_pdf)]
Amount = Annotated[Decimal, Field(max_digits=19, decimal_places=6)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Text = Annotated[str, Field(min_length=1, max_length=1000)]

DocumentType = Literal["380", "381", "384", "386"]
"""UNTDID 1001: 380 invoice, 381 credit note, 384 corrective invoice, 386 prepayment invoice."""
VatCategory = Literal["S", "Z", "E", "AE", "K", "G", "O"]
"""UNCL 5305 as EN 16931 restricts it (L, M, B are not used in France)."""
PaymentMeansCode = Literal["10", "20", "30", "31", "42", "48", "49", "57", "58", "59", "97"]
BillingFrame = Literal[
    "A1_FACTURE_FOURNISSEUR",
    "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
    "A9_FACTURE_SOUSTRAITANT",
    "A12_FACTURE_COTRAITANT",
]
"""Chorus Pro `codeCadreFacturation` values a plain supplier uses (works frames excluded)."""
