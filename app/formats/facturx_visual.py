"""The human-readable PDF of a Factur-X when the ERP sends none: parties, references, lines,
VAT breakdown and totals, on as many A4 pages as the lines need.

Drawn with reportlab's platypus (tables split across pages, header row repeated) in the Bitstream
Vera fonts reportlab ships, embedded as subsets: the text is real, searchable, and accents work.
"""

from __future__ import annotations

import io
import os
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final
from xml.sax.saxutils import escape

import reportlab  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.document import InvoiceDocument, Party
from app.formats.values import DEFAULT_EXEMPTIONS, billing_frame_code, format_decimal

FONT: Final = "GatewaySans"
BOLD: Final = "GatewaySans-Bold"
TITLES: Final = {
    "380": "FACTURE",
    "381": "AVOIR",
    "384": "FACTURE RECTIFICATIVE",
    "386": "FACTURE D'ACOMPTE",
}
_GRID: Final = colors.Color(0.75, 0.75, 0.75)
_HEAD: Final = colors.Color(0.92, 0.92, 0.92)


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    """Fonts registered once per process; the styles that use them."""
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, os.path.join(folder, "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return {
        "title": ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20),
        "h": ParagraphStyle("h", fontName=BOLD, fontSize=9, leading=12, spaceBefore=6),
        "p": ParagraphStyle("p", fontName=FONT, fontSize=8, leading=10),
        "small": ParagraphStyle("small", fontName=FONT, fontSize=7, leading=9),
        "right": ParagraphStyle("right", fontName=FONT, fontSize=8, leading=10, alignment=2),
    }


def _p(text: str | None, style: str = "p") -> Paragraph:
    lines = escape(text or "").replace("\n", "<br/>")
    return Paragraph(lines, _styles()[style])


def money(value: Decimal, currency: str) -> str:
    """French display: 1 234,56 EUR (non-breaking space between thousands)."""
    text = f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")
    return f"{text} {currency}"


def number(value: Decimal) -> str:
    return format_decimal(value).rstrip("0").rstrip(".").replace(".", ",") or "0"


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _party_block(label: str, party: Party) -> list[Paragraph]:
    address = party.address
    lines = [party.name]
    if party.trading_name:
        lines.append(party.trading_name)
    lines += [x for x in (address.line1, address.line2, address.line3) if x]
    city = " ".join(x for x in (address.postal_code, address.city) if x)
    lines.append(" ".join(x for x in (city, address.country_code) if x))
    lines.append(f"SIRET : {party.siret}")
    if party.vat_id:
        lines.append(f"TVA : {party.vat_id}")
    if party.contact is not None:
        contact = party.contact
        lines += [x for x in (contact.name, contact.phone, contact.email) if x]
    return [_p(label, "h"), _p("\n".join(lines))]


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), _HEAD), ("FONT", (0, 0), (-1, 0), BOLD, 8)]
    table.setStyle(TableStyle(style))
    return table


def _references(document: InvoiceDocument) -> list[list[Any]]:
    rows: list[tuple[str, str | None]] = [
        ("Numéro", document.number),
        ("Date d'émission", _day(document.issue_date)),
        ("Date d'échéance", _day(document.due_date)),
        ("Date de TVA", _day(document.tax_point_date)),
        ("Code service", document.service_code),
        ("N° d'engagement (EJ)", document.engagement_number),
        ("Marché", document.contract_reference),
        ("Projet", document.project_reference),
        ("Cadre de facturation", billing_frame_code(document.billing_frame)),
    ]
    if document.invoicing_period is not None:
        period = document.invoicing_period
        rows.append(("Période", f"{_day(period.start)} – {_day(period.end)}"))
    for preceding in document.preceding_invoices:
        rows.append(("Facture d'origine", f"{preceding.number} {_day(preceding.issue_date)}"))
    if document.delivery is not None and document.delivery.date is not None:
        rows.append(("Livraison", _day(document.delivery.date)))
    return [[_p(label), _p(value)] for label, value in rows if value]


def _lines(document: InvoiceDocument) -> Table:
    currency = document.currency
    rows: list[list[Any]] = [
        ["Réf.", "Désignation", "Qté", "Unité", "PU HT", "TVA", "Montant HT"],
    ]
    for position, line in enumerate(document.lines, start=1):
        text = line.name
        if line.description:
            text += f"\n{line.description}"
        if line.note:
            text += f"\n{line.note}"
        adjustments = [
            f"{a.reason or 'Remise'} : -{money(a.computed_amount(), currency)}"
            for a in line.allowances
        ]
        adjustments += [
            f"{c.reason or 'Frais'} : +{money(c.computed_amount(), currency)}" for c in line.charges
        ]
        if adjustments:
            text += "\n" + "\n".join(adjustments)
        vat = line.vat_category if line.vat_category == "O" else f"{number(line.vat_rate)} %"
        rows.append(
            [
                _p(line.id or str(position), "small"),
                _p(text),
                _p(number(line.quantity), "right"),
                _p(line.unit_code, "small"),
                _p(money(line.unit_price, "").strip(), "right"),
                _p(vat, "right"),
                _p(money(line.net_amount(), currency), "right"),
            ]
        )
    return _table(rows, [14 * mm, 70 * mm, 16 * mm, 12 * mm, 22 * mm, 14 * mm, 32 * mm])


def _vat_and_totals(document: InvoiceDocument) -> list[Any]:
    currency = document.currency
    totals = document.compute_totals()
    vat_rows: list[list[Any]] = [["Catégorie", "Taux", "Base HT", "TVA", "Mention"]]
    for b in totals.vat_breakdown:
        default = DEFAULT_EXEMPTIONS.get(b.category, (None, None))
        mention = b.exemption_reason or b.exemption_code or default[0] or ""
        rate = "" if b.category == "O" else f"{number(b.rate)} %"
        vat_rows.append(
            [
                b.category,
                rate,
                _p(money(b.taxable_amount, currency), "right"),
                _p(money(b.tax_amount, currency), "right"),
                _p(mention, "small"),
            ]
        )
    total_rows = [
        ("Total HT des lignes", totals.line_total),
        ("Remises", -totals.allowance_total),
        ("Frais", totals.charge_total),
        ("Total HT", totals.tax_exclusive),
        ("TVA", totals.tax),
        ("Total TTC", totals.tax_inclusive),
        ("Déjà payé", -totals.prepaid),
        ("Arrondi", totals.rounding),
    ]
    rows = [[label, _p(money(v, currency), "right")] for label, v in total_rows if v]
    label = "Montant de l'avoir" if document.type_code == "381" else "Net à payer"
    rows.append([label, _p(money(totals.payable, currency), "right")])
    table = _table(rows, [50 * mm, 40 * mm], header=False)
    table.hAlign = "RIGHT"
    table.setStyle(TableStyle([("FONT", (0, -1), (-1, -1), BOLD, 9)]))
    adjustments: list[Any] = []
    entries = [("Remise", a) for a in document.allowances]
    entries += [("Frais", c) for c in document.charges]
    if entries:
        rows_ac: list[list[Any]] = [["Type", "Motif", "TVA", "Montant HT"]]
        for kind, entry in entries:
            category = entry.vat_category or "S"
            vat = category if entry.vat_rate is None else f"{category} {number(entry.vat_rate)} %"
            rows_ac.append(
                [
                    kind,
                    _p(entry.reason or entry.reason_code or ""),
                    vat,
                    _p(money(entry.computed_amount(), currency), "right"),
                ]
            )
        adjustments = [
            _p("Remises et frais", "h"),
            _table(rows_ac, [20 * mm, 100 * mm, 28 * mm, 32 * mm]),
        ]
    return [
        *adjustments,
        _p("TVA", "h"),
        _table(vat_rows, [20 * mm, 16 * mm, 32 * mm, 28 * mm, 84 * mm]),
        Spacer(1, 4 * mm),
        table,
    ]


def _payment(document: InvoiceDocument) -> list[Any]:
    parts: list[str] = []
    payment = document.payment
    if payment is not None:
        parts.append(f"Moyen de paiement (UNTDID 4461) : {payment.type_code}")
        for label, value in (
            ("IBAN", payment.iban),
            ("BIC", payment.bic),
            ("Titulaire", payment.account_name),
            ("Référence", payment.remittance_information),
        ):
            if value:
                parts.append(f"{label} : {value}")
    if document.payment_terms:
        parts.append(document.payment_terms)
    parts += [note.text for note in document.notes]
    return [_p("Paiement et mentions", "h"), _p("\n".join(parts))] if parts else []


def render_visual_pdf(document: InvoiceDocument) -> bytes:
    """A4 pages in embedded TrueType fonts; deterministic for the same document."""
    styles = _styles()
    buffer = io.BytesIO()
    title = f"{TITLES.get(document.type_code, 'FACTURE')} {document.number}"
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=title,
        author=document.supplier.name,
        invariant=True,
        initialFontName=FONT,  # else an unembedded Helvetica sits in every page (not PDF/A)
    )
    parties = Table(
        [
            [
                _party_block("Fournisseur", document.supplier),
                _party_block("Destinataire", document.recipient),
            ]
        ],
        colWidths=[93 * mm, 93 * mm],
        hAlign="LEFT",
    )
    parties.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONT", (0, 0), (-1, -1), FONT, 8)])
    )
    story: list[Any] = [
        Paragraph(escape(title), styles["title"]),
        Spacer(1, 3 * mm),
        parties,
        Spacer(1, 3 * mm),
        _table(_references(document), [45 * mm, 141 * mm], header=False),
        Spacer(1, 4 * mm),
        _lines(document),
        Spacer(1, 4 * mm),
        *_vat_and_totals(document),
        *_payment(document),
    ]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont(FONT, 7)
        canvas.drawRightString(A4[0] - 12 * mm, 7 * mm, f"{title} — page {doc.page}")

    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
