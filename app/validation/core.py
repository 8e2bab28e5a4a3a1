"""EN 16931 core rules BR-01..BR-66 as they apply to the JSON model.

The presence rules mostly hold by construction (the model makes the field mandatory), but an
`InvoiceDocument` can also be built without validation or changed after it, so they are checked
here too: they cost nanoseconds and keep the rule id in the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Final

from app.document import AllowanceCharge, Period
from app.validation.context import Context
from app.validation.registry import (
    NO_PARAMS,
    Family,
    Violation,
    each,
    register,
    rule,
)

CORE = Family.CORE
CREDIT_TRANSFER: Final = frozenset({"30", "58"})
"""UNTDID 4461 codes BR-61 names: credit transfer and SEPA credit transfer."""


def _missing(path: str, present: object) -> Iterable[Violation]:
    return () if present else ((path, NO_PARAMS),)


def _presence(rule_id: str, path: str, en: str, fr: str, attribute: str) -> None:
    """A document-level presence rule on a dotted attribute path."""
    parts = attribute.split(".")

    def check(ctx: Context) -> Iterable[Violation]:
        value: object = ctx.document
        for part in parts[:-1]:
            value = getattr(value, part, None)
            if value is None:  # no address, no country to check: BR-08/BR-10 report it
                return ()
        return _missing(path, getattr(value, parts[-1], None))

    register(rule_id, CORE, en=en, fr=fr, paths=(path,), check=check)


_PRESENCE: Final = (
    ("BR-02", "number", "The invoice number", "Le numéro de facture"),
    ("BR-03", "issue_date", "The invoice date", "La date de facture"),
    ("BR-04", "type_code", "The document type code", "Le code du type de document"),
    ("BR-05", "currency", "The invoice currency", "La devise de facture"),
    ("BR-06", "supplier.name", "The seller name", "Le nom du vendeur"),
    ("BR-07", "recipient.name", "The buyer name", "Le nom de l'acheteur"),
    ("BR-08", "supplier.address", "The seller postal address", "L'adresse postale du vendeur"),
    (
        "BR-09",
        "supplier.address.country_code",
        "The seller country code",
        "Le code pays du vendeur",
    ),
    ("BR-10", "recipient.address", "The buyer postal address", "L'adresse postale de l'acheteur"),
    (
        "BR-11",
        "recipient.address.country_code",
        "The buyer country code",
        "Le code pays de l'acheteur",
    ),
)
for _rule_id, _path, _en, _fr in _PRESENCE:
    _presence(_rule_id, _path, f"{_en} is missing.", f"{_fr} manque.", _path)


@rule(
    "BR-16",
    CORE,
    en="An invoice needs at least one line.",
    fr="Une facture doit comporter au moins une ligne.",
    paths=("lines",),
)
def _at_least_one_line(ctx: Context) -> Iterable[Violation]:
    return _missing("lines", ctx.document.lines)


def _is_missing(value: object) -> bool:
    return value is None or value == ""


def _is_negative(value: object) -> bool:
    return isinstance(value, Decimal) and value < 0


def _line_rule(
    rule_id: str, field: str, en: str, fr: str, broken: Callable[[object], bool]
) -> None:
    """A rule on one field of every line, broken when `broken(value)` holds."""

    def check(ctx: Context) -> Iterable[Violation]:
        return each(
            f"lines[{index}].{field}"
            for index, line in enumerate(ctx.document.lines)
            if broken(getattr(line, field))
        )

    register(rule_id, CORE, en=en, fr=fr, paths=(f"lines[].{field}",), check=check)


_line_rule(
    "BR-22",
    "quantity",
    "Each line needs an invoiced quantity.",
    "Chaque ligne doit indiquer une quantité facturée.",
    _is_missing,
)
_line_rule(
    "BR-23",
    "unit_code",
    "Each line needs a unit of measure code.",
    "Chaque ligne doit indiquer un code d'unité de mesure.",
    _is_missing,
)
_line_rule(
    "BR-25",
    "name",
    "Each line needs an item name.",
    "Chaque ligne doit indiquer le nom de l'article.",
    _is_missing,
)
_line_rule(
    "BR-26",
    "unit_price",
    "Each line needs an item net price.",
    "Chaque ligne doit indiquer un prix net unitaire.",
    _is_missing,
)
_line_rule(
    "BR-27",
    "unit_price",
    "The item net price must not be negative.",
    "Le prix net unitaire ne doit pas être négatif.",
    _is_negative,
)
_line_rule(
    "BR-28",
    "gross_price",
    "The item gross price must not be negative.",
    "Le prix brut unitaire ne doit pas être négatif.",
    _is_negative,
)


def _period_reversed(period: Period | None) -> bool:
    return (
        period is not None
        and period.start is not None
        and period.end is not None
        and period.end < period.start
    )


@rule(
    "BR-29",
    CORE,
    en="The invoicing period must not end before it starts.",
    fr="La période de facturation ne doit pas finir avant de commencer.",
    paths=("invoicing_period.end",),
)
def _invoicing_period_order(ctx: Context) -> Iterable[Violation]:
    if _period_reversed(ctx.document.invoicing_period):
        return (("invoicing_period.end", NO_PARAMS),)
    return ()


@rule(
    "BR-30",
    CORE,
    en="The line period must not end before it starts.",
    fr="La période de la ligne ne doit pas finir avant de commencer.",
    paths=("lines[].period.end",),
)
def _line_period_order(ctx: Context) -> Iterable[Violation]:
    return each(
        f"lines[{i}].period.end"
        for i, line in enumerate(ctx.document.lines)
        if _period_reversed(line.period)
    )


def _without_amount(entry: AllowanceCharge) -> bool:
    """Neither an amount nor the base and percentage it is computed from."""
    return entry.amount is None and (entry.base_amount is None or entry.percentage is None)


def _without_reason(entry: AllowanceCharge) -> bool:
    return not entry.reason and not entry.reason_code


def _document_entries(ctx: Context, kind: str) -> list[AllowanceCharge]:
    return ctx.document.allowances if kind == "allowances" else ctx.document.charges


def _entry_rule(rule_id: str, kind: str, field: str, test: str, en: str, fr: str) -> None:
    """BR-31/32/33 (allowances) and BR-36/37/38 (charges) on document-level entries."""

    def check(ctx: Context) -> Iterable[Violation]:
        found = []
        for index, entry in enumerate(_document_entries(ctx, kind)):
            if (
                (test == "amount" and _without_amount(entry))
                or (test == "category" and entry.vat_category is None)
                or (test == "reason" and _without_reason(entry))
            ):
                found.append((f"{kind}[{index}].{field}", NO_PARAMS))
        return found

    register(rule_id, CORE, en=en, fr=fr, paths=(f"{kind}[].{field}",), check=check)


for _kind, _ids, _what, _quoi in (
    ("allowances", ("BR-31", "BR-32", "BR-33"), "document-level allowance", "remise de pied"),
    ("charges", ("BR-36", "BR-37", "BR-38"), "document-level charge", "charge de pied"),
):
    _entry_rule(
        _ids[0],
        _kind,
        "amount",
        "amount",
        f"Each {_what} needs an amount, or a base amount and a percentage.",
        f"Chaque {_quoi} doit avoir un montant, ou une assiette et un pourcentage.",
    )
    _entry_rule(
        _ids[1],
        _kind,
        "vat_category",
        "category",
        f"Each {_what} needs a VAT category code.",
        f"Chaque {_quoi} doit avoir un code de catégorie de TVA.",
    )
    _entry_rule(
        _ids[2],
        _kind,
        "reason",
        "reason",
        f"Each {_what} needs a reason or a reason code.",
        f"Chaque {_quoi} doit avoir un motif ou un code motif.",
    )


def _line_entry_rule(rule_id: str, kind: str, test: str, en: str, fr: str) -> None:
    """BR-41/42 (line allowances) and BR-43/44 (line charges)."""
    field = "amount" if test == "amount" else "reason"

    def check(ctx: Context) -> Iterable[Violation]:
        found = []
        for index, line in enumerate(ctx.document.lines):
            entries = line.allowances if kind == "allowances" else line.charges
            for position, entry in enumerate(entries):
                if _without_amount(entry) if test == "amount" else _without_reason(entry):
                    found.append((f"lines[{index}].{kind}[{position}].{field}", NO_PARAMS))
        return found

    register(rule_id, CORE, en=en, fr=fr, paths=(f"lines[].{kind}[].{field}",), check=check)


_line_entry_rule(
    "BR-41",
    "allowances",
    "amount",
    "Each line allowance needs an amount, or a base amount and a percentage.",
    "Chaque remise de ligne doit avoir un montant, ou une assiette et un pourcentage.",
)
_line_entry_rule(
    "BR-42",
    "allowances",
    "reason",
    "Each line allowance needs a reason or a reason code.",
    "Chaque remise de ligne doit avoir un motif ou un code motif.",
)
_line_entry_rule(
    "BR-43",
    "charges",
    "amount",
    "Each line charge needs an amount, or a base amount and a percentage.",
    "Chaque charge de ligne doit avoir un montant, ou une assiette et un pourcentage.",
)
_line_entry_rule(
    "BR-44",
    "charges",
    "reason",
    "Each line charge needs a reason or a reason code.",
    "Chaque charge de ligne doit avoir un motif ou un code motif.",
)


@rule(
    "BR-49",
    CORE,
    en="Payment instructions need a payment means code.",
    fr="Les instructions de paiement doivent indiquer un code de moyen de paiement.",
    paths=("payment.type_code",),
)
def _payment_means_code(ctx: Context) -> Iterable[Violation]:
    payment = ctx.document.payment
    return () if payment is None else _missing("payment.type_code", payment.type_code)


@rule(
    "BR-50",
    CORE,
    en="Bank transfer details (account name, BIC) need the account identifier (IBAN).",
    fr="Les coordonnées de virement (titulaire, BIC) exigent l'identifiant du compte (IBAN).",
    paths=("payment.iban",),
)
def _account_with_transfer_details(ctx: Context) -> Iterable[Violation]:
    payment = ctx.document.payment
    if payment is not None and not payment.iban and (payment.bic or payment.account_name):
        return (("payment.iban", NO_PARAMS),)
    return ()


@rule(
    "BR-52",
    CORE,
    en="Each attachment needs a supporting document reference.",
    fr="Chaque pièce jointe doit avoir une référence de document.",
    paths=("attachments[].id",),
)
def _attachment_reference(ctx: Context) -> Iterable[Violation]:
    return each(f"attachments[{i}].id" for i, a in enumerate(ctx.document.attachments) if not a.id)


@rule(
    "BR-55",
    CORE,
    en="Each preceding invoice reference needs the invoice number.",
    fr="Chaque référence à une facture antérieure doit indiquer son numéro.",
    paths=("preceding_invoices[].number",),
)
def _preceding_reference(ctx: Context) -> Iterable[Violation]:
    return each(
        f"preceding_invoices[{i}].number"
        for i, p in enumerate(ctx.document.preceding_invoices)
        if not p.number
    )


@rule(
    "BR-57",
    CORE,
    en="The deliver-to address needs a country code.",
    fr="L'adresse de livraison doit comporter un code pays.",
    paths=("delivery.address.country_code",),
)
def _delivery_country(ctx: Context) -> Iterable[Violation]:
    delivery = ctx.document.delivery
    if delivery is None or delivery.address is None:
        return ()
    return _missing("delivery.address.country_code", delivery.address.country_code)


@rule(
    "BR-61",
    CORE,
    en="A credit transfer (payment means 30 or 58) needs the payee's account identifier (IBAN).",
    fr="Un virement (moyen de paiement 30 ou 58) exige l'identifiant du compte (IBAN).",
    paths=("payment.iban",),
)
def _credit_transfer_account(ctx: Context) -> Iterable[Violation]:
    payment = ctx.document.payment
    if payment is not None and payment.type_code in CREDIT_TRANSFER and not payment.iban:
        return (("payment.iban", NO_PARAMS),)
    return ()
