"""What every rule needs, computed once per `validate` call rather than once per rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DecimalException
from typing import Final

from app.document import AllowanceCharge, ComputedTotals, InvoiceDocument

CHORUS_AMOUNT_LIMIT: Final = Decimal(10) ** 13
"""Chorus Pro stores amounts as decimal(19,6): thirteen integer digits at most."""


_BASE64_CHARS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_LINE_BREAKS: Final = b" \t\r\n"


def decoded_size(content: str) -> int | None:
    """Bytes a base64 attachment decodes to, or None when it is not base64.

    Checked without decoding (attachments weigh up to 120 MB per invoice): line breaks are
    allowed, then only the base64 alphabet, a length multiple of 4 and padding at the end.
    """
    try:
        raw = content.encode("ascii").translate(None, _LINE_BREAKS)
    except UnicodeEncodeError:
        return None
    length = len(raw)
    if length % 4 or raw.translate(None, _BASE64_CHARS):
        return None
    padding = 2 if raw.endswith(b"==") else 1 if raw.endswith(b"=") else 0
    if b"=" in raw[: length - padding]:
        return None
    return length // 4 * 3 - padding


def _by_category(items: list[AllowanceCharge]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.vat_category is not None:
            found.setdefault(item.vat_category, []).append(index)
    return found


@dataclass(slots=True)
class Context:
    """Built by `build_context`; rules only read it (the totals are computed here, once)."""

    document: InvoiceDocument
    today: date
    totals: ComputedTotals | None
    """None when the amounts cannot be computed: a line lacks its quantity, price or category,
    a base quantity is not positive (GW-BASE-QTY) or the sums overflow (`amount_overflow`)."""
    lines_by_category: dict[str, list[int]]
    allowances_by_category: dict[str, list[int]]
    charges_by_category: dict[str, list[int]]
    """Document-level items with an explicit category; a missing one is BR-32/BR-37's job."""
    line_overflow: list[int]
    """Lines whose amount does not fit Chorus Pro's decimal(19,6)."""
    bad_base_quantity: list[int]
    """Lines whose price base quantity is zero or negative: no amount can be computed."""
    amount_overflow: bool
    """The totals could not be computed (decimal overflow) or exceed decimal(19,6)."""
    seller_vat: bool
    buyer_vat: bool
    attachment_sizes: list[int | None]
    """Decoded size of each attachment, None when not base64 (decoded once, for three rules)."""


def build_context(document: InvoiceDocument, today: date) -> Context:
    lines_by_category: dict[str, list[int]] = {}
    line_overflow: list[int] = []
    bad_base: list[int] = []
    # A line missing what an amount needs (BR-22, BR-26, BR-CO-04 report it) stops the sums.
    incomplete = False
    for index, line in enumerate(document.lines):
        lines_by_category.setdefault(line.vat_category, []).append(index)
        if line.quantity is None or line.unit_price is None or not line.vat_category:
            incomplete = True
            continue
        base = line.price_base_quantity
        if base is not None and base <= 0:
            bad_base.append(index)
        elif abs(line.quantity * line.unit_price / (base or 1)) >= CHORUS_AMOUNT_LIMIT:
            line_overflow.append(index)

    totals: ComputedTotals | None = None
    overflow = False
    if not bad_base and not incomplete:
        try:
            totals = document.compute_totals()
        except DecimalException:
            overflow = True
        else:
            overflow = abs(totals.tax_inclusive) >= CHORUS_AMOUNT_LIMIT
    return Context(
        document=document,
        today=today,
        totals=totals,
        lines_by_category=lines_by_category,
        allowances_by_category=_by_category(document.allowances),
        charges_by_category=_by_category(document.charges),
        line_overflow=line_overflow,
        bad_base_quantity=bad_base,
        amount_overflow=overflow,
        seller_vat=bool(document.supplier.vat_id),
        buyer_vat=bool(document.recipient.vat_id),
        attachment_sizes=[decoded_size(a.content) for a in document.attachments],
    )
