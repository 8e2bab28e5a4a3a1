"""EN 16931 conditions and calculations (BR-CO-*) and decimals (BR-DEC-*).

The gateway computes every total itself (`InvoiceDocument.compute_totals`, once per `validate`
call, in `Context`); the totals an ERP declares are compared with them under the id of the rule
that constrains that total in the XML, so an ERP developer finds the rule the figure breaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal
from typing import Final

from app.document import CENT, AllowanceCharge, Period, round_amount
from app.document.fields import HUNDRED
from app.validation.codes import VAT_PREFIXES
from app.validation.context import Context
from app.validation.registry import (
    NO_PARAMS,
    Check,
    Family,
    Violation,
    each,
    register,
    rule,
)

CALC = Family.CALCULATION


@rule(
    "BR-CO-04",
    CALC,
    en="Each line needs a VAT category code.",
    fr="Chaque ligne doit avoir un code de catégorie de TVA.",
    paths=("lines[].vat_category",),
)
def _line_category(ctx: Context) -> Iterable[Violation]:
    return each(
        f"lines[{i}].vat_category"
        for i, line in enumerate(ctx.document.lines)
        if not line.vat_category
    )


@rule(
    "BR-CO-09",
    CALC,
    en="A VAT identifier must start with the ISO 3166-1 code of its country (EL for Greece).",
    fr="Un numéro de TVA doit commencer par le code ISO 3166-1 de son pays (EL pour la Grèce).",
    paths=("supplier.vat_id", "recipient.vat_id"),
)
def _vat_prefix(ctx: Context) -> Iterable[Violation]:
    found = []
    for path, vat_id in (
        ("supplier.vat_id", ctx.document.supplier.vat_id),
        ("recipient.vat_id", ctx.document.recipient.vat_id),
    ):
        if vat_id and vat_id[:2] not in VAT_PREFIXES:
            found.append((path, NO_PARAMS))
    return found


_DECLARED: Final = (
    (
        "line_total",
        "BR-CO-10",
        "Sum of line net amounts (BT-106)",
        "Somme des montants nets des lignes (BT-106)",
    ),
    (
        "allowance_total",
        "BR-CO-11",
        "Sum of document allowances (BT-107)",
        "Somme des remises de pied (BT-107)",
    ),
    (
        "charge_total",
        "BR-CO-12",
        "Sum of document charges (BT-108)",
        "Somme des charges de pied (BT-108)",
    ),
    ("tax_exclusive", "BR-CO-13", "Total without VAT (BT-109)", "Total hors TVA (BT-109)"),
    ("tax", "BR-CO-14", "Total VAT (BT-110)", "Total de la TVA (BT-110)"),
    ("tax_inclusive", "BR-CO-15", "Total with VAT (BT-112)", "Total TTC (BT-112)"),
    ("payable", "BR-CO-16", "Amount due for payment (BT-115)", "Montant à payer (BT-115)"),
)


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return round_amount(sum((v for v in values if v is not None), Decimal(0)))


def _or_zero(value: Decimal | None) -> Decimal:
    return Decimal(0) if value is None else value


def _is_cii(ctx: Context) -> bool:
    return ctx.document.syntax != "IN_DP_E1_UBL_INVOICE"


def _tax_exclusive(ctx: Context) -> Decimal | None:
    return ctx.document.totals.tax_exclusive if ctx.document.totals else None


def _file_expected(ctx: Context, name: str) -> tuple[bool, Decimal | None]:
    """(applies, expected) of a ready-made file's total, from the other values it declares.

    EN 16931 judges each total on the file's own figures (BR-CO-13 adds up the declared
    BT-106, BT-107 and BT-108, not the lines), so one altered figure breaks exactly the rules
    that read it, as in the official artefacts.
    """
    values = ctx.document.file_values
    totals = ctx.document.totals
    assert values is not None
    get = (lambda field: getattr(totals, field)) if totals else (lambda field: None)
    document = ctx.document
    if name == "line_total":
        return True, _sum(values.line_net_amounts)
    if name in ("allowance_total", "charge_total"):
        entries = document.allowances if name == "allowance_total" else document.charges
        if not entries and get(name) is None:
            return False, None
        return True, _sum(entry.amount for entry in entries)
    if name == "tax_exclusive":
        line_total = get("line_total")
        if line_total is None:
            return False, None
        return True, round_amount(
            line_total - _or_zero(get("allowance_total")) + _or_zero(get("charge_total"))
        )
    if name == "tax":
        if not values.vat_breakdown:
            return False, None
        return True, _sum(vat.tax_amount for vat in values.vat_breakdown)
    if name == "tax_inclusive":
        # BR-CO-15 also wants exactly one VAT total in the invoice currency (BT-110).
        exclusive, tax = get("tax_exclusive"), get("tax")
        if exclusive is None:
            return False, None
        if tax is None:
            return True, None
        return True, round_amount(exclusive + tax)
    if name == "payable":
        inclusive = get("tax_inclusive")
        if inclusive is None:
            return False, None
        return True, round_amount(
            inclusive - _or_zero(document.prepaid_amount) + _or_zero(document.rounding_amount)
        )
    return False, None


def _declared_total(name: str, path: str) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        declared = getattr(ctx.document.totals, name, None) if ctx.document.totals else None
        if ctx.document.file_values is not None:
            applies, wanted = _file_expected(ctx, name)
            if not applies or (declared is None and name not in _REQUIRED_WITH_ITEMS):
                return ()
            if declared is not None and wanted is not None and declared == wanted:
                return ()
            if name == "tax_inclusive" and _is_cii(ctx) and declared == _tax_exclusive(ctx):
                return ()  # the CII binding also takes BT-112 = BT-109, whatever BT-110 says
            return ((path, {"declared": declared, "expected": wanted}),)
        if declared is None or ctx.totals is None:
            return ()
        expected = getattr(ctx.totals, name)
        if declared == expected:
            return ()
        return ((path, {"declared": declared, "expected": expected}),)

    return check


_REQUIRED_WITH_ITEMS: Final = frozenset({"allowance_total", "charge_total"})
"""BR-CO-11/12: a file with document-level allowances (charges) must state their sum."""

for _name, _rule_id, _en, _fr in _DECLARED:
    register(
        _rule_id,
        CALC,
        en=f"{_en}: declared {{declared}}, computed {{expected}} from the amounts it adds up.",
        fr=f"{_fr} : valeur déclarée {{declared}}, valeur calculée {{expected}} à partir des "
        "montants qu'il additionne.",
        paths=(f"totals.{_name}",),
        check=_declared_total(_name, f"totals.{_name}"),
    )


def _xpath_round(value: Decimal) -> Decimal:
    """XPath `round`: to the nearest integer, halves upwards."""
    return (value + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR)


@rule(
    "BR-CO-17",
    CALC,
    en="The VAT amount of a breakdown must be its taxable amount times its rate, rounded.",
    fr="Le montant de TVA d'une ventilation doit être sa base multipliée par son taux, arrondie.",
    paths=("vat_breakdown[].tax_amount",),
)
def _breakdown_tax(ctx: Context) -> Iterable[Violation]:
    values = ctx.document.file_values
    if values is None:  # JSON: the gateway computes the breakdown
        return ()
    found = []
    for index, vat in enumerate(values.vat_breakdown):
        if vat.tax_amount is None:
            continue
        if vat.rate is None or _xpath_round(vat.rate) == 0:
            broken = _xpath_round(vat.tax_amount) != 0
        elif vat.taxable_amount is None:
            continue
        else:
            wanted = round_amount(abs(vat.taxable_amount) * vat.rate / HUNDRED)
            gap = abs(abs(vat.tax_amount) - wanted)
            # One unit either way; the CII binding includes the bound, the UBL one does not.
            broken = gap > 1 if _is_cii(ctx) else gap >= 1
        if broken:
            found.append((f"vat_breakdown[{index}].tax_amount", NO_PARAMS))
    return found


def _period_empty(period: Period | None) -> bool:
    return period is not None and period.start is None and period.end is None


@rule(
    "BR-CO-19",
    CALC,
    en="An invoicing period needs a start date, an end date, or both.",
    fr="Une période de facturation doit avoir une date de début, de fin, ou les deux.",
    paths=("invoicing_period",),
)
def _invoicing_period_dates(ctx: Context) -> Iterable[Violation]:
    return (
        (("invoicing_period", NO_PARAMS),) if _period_empty(ctx.document.invoicing_period) else ()
    )


@rule(
    "BR-CO-20",
    CALC,
    en="A line period needs a start date, an end date, or both.",
    fr="Une période de ligne doit avoir une date de début, de fin, ou les deux.",
    paths=("lines[].period",),
)
def _line_period_dates(ctx: Context) -> Iterable[Violation]:
    return each(
        f"lines[{i}].period"
        for i, line in enumerate(ctx.document.lines)
        if _period_empty(line.period)
    )


def _no_reason(entry: AllowanceCharge) -> bool:
    return not entry.reason and not entry.reason_code


def _document_reason(kind: str) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        entries = ctx.document.allowances if kind == "allowances" else ctx.document.charges
        return each(f"{kind}[{i}].reason" for i, entry in enumerate(entries) if _no_reason(entry))

    return check


def _line_reason(kind: str) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        found = []
        for index, line in enumerate(ctx.document.lines):
            entries = line.allowances if kind == "allowances" else line.charges
            for position, entry in enumerate(entries):
                if _no_reason(entry):
                    found.append((f"lines[{index}].{kind}[{position}].reason", NO_PARAMS))
        return found

    return check


# BR-CO-21..24 restate BR-33/38/42/44; the official artefacts report both, so do we.
for _rule_id, _factory, _kind, _en, _fr in (
    ("BR-CO-21", _document_reason, "allowances", "document-level allowance", "remise de pied"),
    ("BR-CO-22", _document_reason, "charges", "document-level charge", "charge de pied"),
    ("BR-CO-23", _line_reason, "allowances", "line allowance", "remise de ligne"),
    ("BR-CO-24", _line_reason, "charges", "line charge", "charge de ligne"),
):
    _prefix = "" if _factory is _document_reason else "lines[]."
    register(
        _rule_id,
        CALC,
        en=f"Each {_en} needs a reason, a reason code, or both.",
        fr=f"Chaque {_fr} doit avoir un motif, un code motif, ou les deux.",
        paths=(f"{_prefix}{_kind}[].reason",),
        check=_factory(_kind),
    )


@rule(
    "BR-CO-26",
    CALC,
    en="The seller needs a legal registration identifier (SIRET) or a VAT identifier.",
    fr="Le vendeur doit avoir un identifiant légal (SIRET) ou un numéro de TVA.",
    paths=("supplier.siret",),
)
def _seller_identified(ctx: Context) -> Iterable[Violation]:
    supplier = ctx.document.supplier
    return () if supplier.siret or supplier.vat_id else (("supplier.siret", NO_PARAMS),)


def _too_precise(value: Decimal | None) -> bool:
    return value is not None and value != value.quantize(CENT)


def _decimals(rule_id: str, path: str, en: str, fr: str, getter: Check) -> None:
    register(
        rule_id,
        CALC,
        en=f"{en}: at most two decimals.",
        fr=f"{fr} : deux décimales au plus.",
        paths=(path,),
        check=getter,
    )


def _entry_decimals(kind: str, field: str) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        entries = ctx.document.allowances if kind == "allowances" else ctx.document.charges
        return each(
            f"{kind}[{i}].{field}"
            for i, entry in enumerate(entries)
            if _too_precise(getattr(entry, field))
        )

    return check


def _line_entry_decimals(kind: str, field: str) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        found = []
        for index, line in enumerate(ctx.document.lines):
            entries = line.allowances if kind == "allowances" else line.charges
            for position, entry in enumerate(entries):
                if _too_precise(getattr(entry, field)):
                    found.append((f"lines[{index}].{kind}[{position}].{field}", NO_PARAMS))
        return found

    return check


def _document_decimals(field: str) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        return ((field, NO_PARAMS),) if _too_precise(getattr(ctx.document, field)) else ()

    return check


for _rule_id, _kind, _field, _en, _fr in (
    ("BR-DEC-01", "allowances", "amount", "Document allowance amount", "Montant de remise de pied"),
    (
        "BR-DEC-02",
        "allowances",
        "base_amount",
        "Document allowance base",
        "Assiette de remise de pied",
    ),
    ("BR-DEC-05", "charges", "amount", "Document charge amount", "Montant de charge de pied"),
    ("BR-DEC-06", "charges", "base_amount", "Document charge base", "Assiette de charge de pied"),
):
    _decimals(_rule_id, f"{_kind}[].{_field}", _en, _fr, _entry_decimals(_kind, _field))

_decimals(
    "BR-DEC-16",
    "prepaid_amount",
    "Paid amount (prepaid_amount)",
    "Montant déjà payé (prepaid_amount)",
    _document_decimals("prepaid_amount"),
)
_decimals(
    "BR-DEC-17",
    "rounding_amount",
    "Rounding amount",
    "Montant d'arrondi",
    _document_decimals("rounding_amount"),
)

for _rule_id, _kind, _field, _en, _fr in (
    ("BR-DEC-24", "allowances", "amount", "Line allowance amount", "Montant de remise de ligne"),
    (
        "BR-DEC-25",
        "allowances",
        "base_amount",
        "Line allowance base",
        "Assiette de remise de ligne",
    ),
    ("BR-DEC-27", "charges", "amount", "Line charge amount", "Montant de charge de ligne"),
    ("BR-DEC-28", "charges", "base_amount", "Line charge base", "Assiette de charge de ligne"),
):
    _decimals(
        _rule_id, f"lines[].{_kind}[].{_field}", _en, _fr, _line_entry_decimals(_kind, _field)
    )
