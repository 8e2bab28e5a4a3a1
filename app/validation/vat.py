"""EN 16931 VAT category rules: BR-S, BR-Z, BR-E, BR-AE, BR-IC (category K), BR-G, BR-O.

For JSON the VAT breakdown (BG-23) is computed by the gateway from the lines, allowances and
charges, so the breakdown rules (-01 "a breakdown per category", -08 taxable amount, -09 tax
amount) hold by construction; a ready-made file declares its own breakdown, which they check
(`InvoiceDocument.file_values`). What an ERP can get wrong otherwise is on the items
(rates, -05..-07), the parties (VAT identifiers, -02..-04), the exemption reasons (-10) and,
for K and O, a few invoice-wide conditions. Those are checked here, on the ERP's own fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Final

from app.document import AllowanceCharge, InvoiceLine, round_amount
from app.document.fields import HUNDRED
from app.validation.context import Context
from app.validation.registry import (
    NO_PARAMS,
    Check,
    Family,
    Violation,
    each,
    register,
)

VAT = Family.VAT
ZERO: Final = Decimal(0)

PREFIX: Final = {"S": "S", "Z": "Z", "E": "E", "AE": "AE", "K": "IC", "G": "G", "O": "O"}
"""Rule-id stem per UNCL 5305 category: category K's rules are named BR-IC-*."""

NAMES: Final = {
    "S": ("standard rated", "taux normal"),
    "Z": ("zero rated", "taux zéro"),
    "E": ("exempt from VAT", "exonéré de TVA"),
    "AE": ("reverse charge", "autoliquidation"),
    "K": ("intra-community supply", "livraison intracommunautaire"),
    "G": ("export outside the EU", "exportation hors UE"),
    "O": ("not subject to VAT", "hors champ de la TVA"),
}

KINDS: Final = (
    # (suffix, items attribute, EN noun, FR noun, FR "of" form)
    ("02", "lines", "a line", "une ligne", "d'une ligne"),
    (
        "03",
        "allowances",
        "a document-level allowance",
        "une remise de pied",
        "d'une remise de pied",
    ),
    ("04", "charges", "a document-level charge", "une charge de pied", "d'une charge de pied"),
)


def _indices(ctx: Context, kind: str, category: str) -> list[int]:
    table: dict[str, list[int]] = getattr(ctx, f"{kind}_by_category")
    return table.get(category, [])


def _identifiers_rule(category: str, suffix: str, kind: str, noun: str, nom: str) -> None:
    """-02/-03/-04: which VAT identifiers the parties must (or, for O, must not) carry."""
    rule_id = f"BR-{PREFIX[category]}-{suffix}"
    name, nom_cat = NAMES[category]
    en = f"An invoice with {noun} in VAT category {category} ({name})"
    fr = f"Une facture avec {nom} en catégorie de TVA {category} ({nom_cat})"
    if category == "O":
        paths: tuple[str, ...] = ("supplier.vat_id", "recipient.vat_id")
        en += " must not give the seller's or the buyer's VAT identifier."
        fr += " ne doit donner le numéro de TVA ni du vendeur ni de l'acheteur."
    elif category == "K":
        paths = ("supplier.vat_id", "recipient.vat_id")
        en += " needs the seller's and the buyer's VAT identifiers."
        fr += " exige les numéros de TVA du vendeur et de l'acheteur."
    else:
        paths = ("supplier.vat_id",)
        en += " needs the seller's VAT identifier."
        fr += " exige le numéro de TVA du vendeur."

    def check(ctx: Context) -> Iterable[Violation]:
        if not _indices(ctx, kind, category):
            return ()
        document = ctx.document
        if category == "O":
            return each(
                path
                for path, value in zip(
                    paths, (document.supplier.vat_id, document.recipient.vat_id), strict=True
                )
                if value
            )
        found = [] if ctx.seller_vat else [("supplier.vat_id", NO_PARAMS)]
        # AE also wants the buyer's VAT id or legal id: the SIRET, which the model requires.
        if category == "K" and not ctx.buyer_vat:
            found.append(("recipient.vat_id", NO_PARAMS))
        return found

    register(rule_id, VAT, en=en, fr=fr, paths=paths, check=check)


def _rate_ok(category: str) -> Callable[[Decimal | None], bool]:
    if category == "S":
        return lambda rate: rate is not None and rate > ZERO
    return lambda rate: rate is None or rate == ZERO


def _line_rate(category: str, line: InvoiceLine) -> Decimal | None:
    """O lines carry the model's default rate unless the ERP set one: only a set rate counts."""
    if category == "O" and "vat_rate" not in line.model_fields_set:
        return None
    return line.vat_rate


def _rate_rule(category: str, suffix: str, kind: str, noun: str, of_nom: str) -> None:
    """-05/-06/-07: the rate an item of the category must carry."""
    rule_id = f"BR-{PREFIX[category]}-{suffix}"
    name, nom_cat = NAMES[category]
    if category == "S":
        wanted, voulu = "greater than zero", "supérieur à zéro"
    elif category == "O":
        wanted, voulu = "absent (0 is read as no rate)", "absent (0 vaut absence de taux)"
    else:
        wanted, voulu = "0", "0"
    ok = _rate_ok(category)
    path = "lines[].vat_rate" if kind == "lines" else f"{kind}[].vat_rate"

    def check(ctx: Context) -> Iterable[Violation]:
        indices = _indices(ctx, kind, category)
        if not indices:
            return ()
        if kind == "lines":
            lines = ctx.document.lines
            return each(
                f"lines[{i}].vat_rate" for i in indices if not ok(_line_rate(category, lines[i]))
            )
        entries: list[AllowanceCharge] = getattr(ctx.document, kind)
        return each(f"{kind}[{i}].vat_rate" for i in indices if not ok(entries[i].vat_rate))

    register(
        rule_id,
        VAT,
        en=f"The VAT rate of {noun} in VAT category {category} ({name}) must be {wanted}.",
        fr=f"Le taux de TVA {of_nom} en catégorie {category} ({nom_cat}) doit être {voulu}.",
        paths=(path,),
        check=check,
    )


def _exemption_rule(category: str) -> None:
    """-10: S and Z take no exemption reason; the others need one when the ERP gives it."""
    rule_id = f"BR-{PREFIX[category]}-10"
    name, nom_cat = NAMES[category]
    forbidden = category in ("S", "Z")
    if forbidden:
        en = f"A {name} VAT breakdown takes no exemption reason or code."
        fr = f"Une ventilation de TVA en {nom_cat} ne prend ni motif ni code d'exonération."
        path = "vat_exemptions[]"
    else:
        en = f"The exemption given for {name} needs a reason text or a VATEX code."
        fr = f"L'exonération donnée pour {nom_cat} doit avoir un motif ou un code VATEX."
        path = "vat_exemptions[].reason"

    def check(ctx: Context) -> Iterable[Violation]:
        found = []
        for index, exemption in enumerate(ctx.document.vat_exemptions):
            if exemption.category != category:
                continue
            if forbidden:
                found.append((f"vat_exemptions[{index}]", NO_PARAMS))
            elif not exemption.reason and not exemption.code:
                found.append((f"vat_exemptions[{index}].reason", NO_PARAMS))
        return found

    register(rule_id, VAT, en=en, fr=fr, paths=(path,), check=check)


_RATE_SUFFIX: Final = {"lines": "05", "allowances": "06", "charges": "07"}

for _category in PREFIX:
    for _suffix, _kind, _noun, _nom, _of_nom in KINDS:
        _identifiers_rule(_category, _suffix, _kind, _noun, _nom)
    for _suffix, _kind, _noun, _nom, _of_nom in KINDS:
        _rate_rule(_category, _RATE_SUFFIX[_kind], _kind, _noun, _of_nom)
    _exemption_rule(_category)


def _has(ctx: Context, category: str) -> bool:
    return bool(
        ctx.lines_by_category.get(category)
        or ctx.allowances_by_category.get(category)
        or ctx.charges_by_category.get(category)
    )


def _ic_delivery_date(ctx: Context) -> Iterable[Violation]:
    if not _has(ctx, "K"):
        return ()
    document = ctx.document
    period = document.invoicing_period
    if (document.delivery and document.delivery.date) or (period and (period.start or period.end)):
        return ()
    return (("delivery.date", NO_PARAMS),)


def _ic_delivery_country(ctx: Context) -> Iterable[Violation]:
    if not _has(ctx, "K"):
        return ()
    delivery = ctx.document.delivery
    if delivery and delivery.address and delivery.address.country_code:
        return ()
    return (("delivery.address.country_code", NO_PARAMS),)


register(
    "BR-IC-11",
    VAT,
    en="An intra-community supply needs the actual delivery date or the invoicing period.",
    fr="Une livraison intracommunautaire exige la date de livraison ou la période de facturation.",
    paths=("delivery.date", "invoicing_period"),
    check=_ic_delivery_date,
)
register(
    "BR-IC-12",
    VAT,
    en="An intra-community supply needs the deliver-to country code.",
    fr="Une livraison intracommunautaire exige le code pays du lieu de livraison.",
    paths=("delivery.address.country_code",),
    check=_ic_delivery_country,
)


def _not_o(ctx: Context, kind: str) -> list[str]:
    """Paths of the items whose category is not O (a missing document-level one counts as S)."""
    if kind == "lines":
        items: list[str | None] = [line.vat_category for line in ctx.document.lines]
    else:
        items = [entry.vat_category for entry in getattr(ctx.document, kind)]
    return [f"{kind}[{i}].vat_category" for i, category in enumerate(items) if category != "O"]


def _o_alone(kind: str | None) -> Check:
    def check(ctx: Context) -> Iterable[Violation]:
        if not _has(ctx, "O"):
            return ()
        if kind is not None:
            return each(_not_o(ctx, kind))
        # BR-O-11 is about the breakdown; point at the first item that creates another one.
        for each_kind in ("lines", "allowances", "charges"):
            paths = _not_o(ctx, each_kind)
            if paths:
                return ((paths[0], NO_PARAMS),)
        return ()

    return check


_O_RULES: Final[tuple[tuple[str, str | None, str, str], ...]] = (
    ("BR-O-11", None, "no other VAT category", "aucune autre catégorie de TVA"),
    ("BR-O-12", "lines", "no line of another category", "aucune ligne d'une autre catégorie"),
    (
        "BR-O-13",
        "allowances",
        "no allowance of another category",
        "aucune remise d'une autre catégorie",
    ),
    ("BR-O-14", "charges", "no charge of another category", "aucune charge d'une autre catégorie"),
)
for _rule_id, _o_kind, _en, _fr in _O_RULES:
    register(
        _rule_id,
        VAT,
        en=f"An invoice with items not subject to VAT (O) may have {_en}.",
        fr=f"Une facture comportant des éléments hors champ de la TVA (O) ne peut avoir {_fr}.",
        paths=(f"{_o_kind}[].vat_category",)
        if _o_kind
        else ("lines[].vat_category", "allowances[].vat_category", "charges[].vat_category"),
        check=_o_alone(_o_kind),
    )


def _items_sum(ctx: Context, category: str, rate: Decimal | None) -> Decimal:
    """Sum of the declared line net amounts, plus charges, minus allowances of one category
    (and rate, for S): what BR-x-08 wants the breakdown's taxable amount to be."""
    values = ctx.document.file_values
    assert values is not None
    document = ctx.document
    total = Decimal(0)
    for line, amount in zip(document.lines, values.line_net_amounts, strict=False):
        if line.vat_category == category and amount is not None and rate in (None, line.vat_rate):
            total += amount
    for sign, entries in ((-1, document.allowances), (1, document.charges)):
        for entry in entries:
            matches = entry.vat_category == category and rate in (None, entry.vat_rate)
            if matches and entry.amount is not None:
                total += sign * entry.amount
    return round_amount(total)


def _breakdown_count(category: str) -> Check:
    """-01: items of the category need a breakdown of it (exactly one, but for S)."""

    def check(ctx: Context) -> Iterable[Violation]:
        values = ctx.document.file_values
        if values is None or not _has(ctx, category):
            return ()
        count = sum(1 for vat in values.vat_breakdown if vat.category == category)
        if count == 0 or (category != "S" and count != 1):
            return (("vat_breakdown", NO_PARAMS),)
        return ()

    return check


def _breakdown_amounts(category: str, which: str) -> Check:
    """-08 (taxable amount = its items) and -09 (tax amount) on each declared breakdown."""

    def check(ctx: Context) -> Iterable[Violation]:
        values = ctx.document.file_values
        if values is None:
            return ()
        found = []
        for index, vat in enumerate(values.vat_breakdown):
            if vat.category != category or vat.taxable_amount is None:
                continue
            path = f"vat_breakdown[{index}]"
            if which == "08":
                rate = vat.rate if category == "S" else None
                if category == "S" and rate is None:
                    continue
                if vat.taxable_amount != _items_sum(ctx, category, rate):
                    found.append((f"{path}.taxable_amount", NO_PARAMS))
            elif vat.tax_amount is not None:
                if category == "S":
                    if vat.rate is None:
                        continue
                    # The artefacts allow one unit either way (rounding per line upstream).
                    wanted = round_amount(abs(vat.taxable_amount) * vat.rate / HUNDRED)
                    if not abs(abs(vat.tax_amount) - wanted) < 1:
                        found.append((f"{path}.tax_amount", NO_PARAMS))
                elif vat.tax_amount != 0:
                    found.append((f"{path}.tax_amount", NO_PARAMS))
        return found

    return check


for _category, _stem in PREFIX.items():
    _name, _nom = NAMES[_category]
    register(
        f"BR-{_stem}-01",
        VAT,
        en=f"A file with items in VAT category {_category} ({_name}) needs "
        + ("at least one" if _category == "S" else "exactly one")
        + " VAT breakdown of that category.",
        fr=f"Un fichier avec des éléments en catégorie {_category} ({_nom}) doit avoir "
        + ("au moins une" if _category == "S" else "exactement une")
        + " ventilation de TVA de cette catégorie.",
        paths=("vat_breakdown",),
        check=_breakdown_count(_category),
    )
    register(
        f"BR-{_stem}-08",
        VAT,
        en=f"The taxable amount of the {_name} VAT breakdown must equal its lines' net amounts "
        "plus its charges minus its allowances.",
        fr=f"La base de la ventilation de TVA {_nom} doit égaler les montants nets de ses "
        "lignes plus ses charges moins ses remises.",
        paths=("vat_breakdown[].taxable_amount",),
        check=_breakdown_amounts(_category, "08"),
    )
    register(
        f"BR-{_stem}-09",
        VAT,
        en=f"The VAT amount of the {_name} VAT breakdown must be "
        + ("its taxable amount times its rate." if _category == "S" else "0."),
        fr=f"Le montant de TVA de la ventilation {_nom} doit être "
        + ("sa base multipliée par son taux." if _category == "S" else "0."),
        paths=("vat_breakdown[].tax_amount",),
        check=_breakdown_amounts(_category, "09"),
    )
