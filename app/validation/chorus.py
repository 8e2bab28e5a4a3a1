"""Chorus Pro rules (CPP-*, from API.md sections 5.4 and 6) and gateway consistency (GW-*).

Sizes: Chorus Pro states its limits in "Mo" without saying 10^6 or 2^20; the smaller reading
is used so that nothing we accept is refused for its size later.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

from app.document import INVOICE_NUMBER_PATTERN
from app.validation.codes import ATTACHMENT_EXTENSIONS
from app.validation.context import Context
from app.validation.registry import NO_PARAMS, Family, Violation, each, rule

CPP = Family.CHORUS
GW = Family.GATEWAY

MAX_SERVICE_CODE: Final = 100
MAX_ENGAGEMENT: Final = 50
MAX_ATTACHMENT_NAME: Final = 50
MAX_ATTACHMENT_BYTES: Final = 10_000_000
MAX_INVOICE_ATTACHMENTS_BYTES: Final = 120_000_000
CREDIT_TRANSFER_CODES: Final = frozenset({"30", "31", "42", "58"})
"""UNTDID 4461 codes Chorus Pro files as VIREMENT (API.md 4.6, 6.10)."""
DEFAULT_MEANS: Final = "30"
"""What the CII generator writes when the ERP gives no payment means (Chorus needs one)."""
NEEDS_PRECEDING: Final = frozenset({"381", "384"})


@lru_cache(maxsize=4096)
def _siret_ok(siret: str) -> bool:
    """Cached: the same suppliers and recipients come back invoice after invoice."""
    return len(siret) == 14 and bool(stdnum_siret.is_valid(siret))


@lru_cache(maxsize=4096)
def _iban_ok(iban: str) -> bool:
    return bool(stdnum_iban.is_valid(iban))


@rule(
    "CPP-NUM-01",
    CPP,
    en="Chorus Pro takes an invoice number of at most 20 characters: letters, digits and - _ / +.",
    fr="Chorus Pro prend un numéro de facture de 20 caractères au plus : lettres, chiffres et "
    "- _ / +.",
    paths=("number",),
)
def _invoice_number(ctx: Context) -> Iterable[Violation]:
    number = ctx.document.number or ""
    return () if INVOICE_NUMBER_PATTERN.match(number) else (("number", NO_PARAMS),)


@rule(
    "CPP-DATE-01",
    CPP,
    en="The invoice date must not be after the deposit date ({today}).",
    fr="La date de facture ne doit pas être postérieure à la date de dépôt ({today}).",
    paths=("issue_date",),
)
def _not_in_future(ctx: Context) -> Iterable[Violation]:
    issue_date = ctx.document.issue_date
    if issue_date is not None and issue_date > ctx.today:
        return (("issue_date", {"today": ctx.today.isoformat()}),)
    return ()


@rule(
    "CPP-SIRET-01",
    CPP,
    en="A SIRET has 14 digits and passes the Luhn check.",
    fr="Un SIRET compte 14 chiffres et respecte la clé de Luhn.",
    paths=("supplier.siret", "recipient.siret"),
)
def _sirets(ctx: Context) -> Iterable[Violation]:
    return each(
        path
        for path, siret in (
            ("supplier.siret", ctx.document.supplier.siret),
            ("recipient.siret", ctx.document.recipient.siret),
        )
        if not (siret and _siret_ok(siret))
    )


@rule(
    "CPP-IBAN-01",
    CPP,
    en="Payment by credit transfer needs the supplier's IBAN (a credit note may omit the "
    "payment means).",
    fr="Le paiement par virement exige l'IBAN du fournisseur (un avoir peut omettre le moyen "
    "de paiement).",
    paths=("payment.iban",),
)
def _iban_for_transfer(ctx: Context) -> Iterable[Violation]:
    payment = ctx.document.payment
    if payment is None and ctx.document.type_code == "381":
        return ()
    means = payment.type_code if payment else DEFAULT_MEANS
    if means in CREDIT_TRANSFER_CODES and not (payment and payment.iban):
        return (("payment.iban", NO_PARAMS),)
    return ()


@rule(
    "CPP-IBAN-02",
    CPP,
    en="The IBAN is not valid (ISO 13616 format and mod 97 check).",
    fr="L'IBAN n'est pas valide (format ISO 13616 et clé modulo 97).",
    paths=("payment.iban",),
)
def _iban_valid(ctx: Context) -> Iterable[Violation]:
    payment = ctx.document.payment
    if payment is None or not payment.iban or _iban_ok(payment.iban):
        return ()
    return (("payment.iban", NO_PARAMS),)


@rule(
    "CPP-PREC-01",
    CPP,
    en="A credit note (381) or a corrective invoice (384) must name the invoice it corrects.",
    fr="Un avoir (381) ou une facture rectificative (384) doit citer la facture qu'il corrige.",
    paths=("preceding_invoices",),
)
def _preceding_invoice(ctx: Context) -> Iterable[Violation]:
    document = ctx.document
    if document.type_code in NEEDS_PRECEDING and not document.preceding_invoices:
        return (("preceding_invoices", NO_PARAMS),)
    return ()


@rule(
    "CPP-SRV-01",
    CPP,
    en="FACTURES_PUBLIQUES is not a service code: give the recipient's service or none.",
    fr="FACTURES_PUBLIQUES n'est pas un code service : donnez le service du destinataire ou aucun.",
    paths=("service_code",),
)
def _service_code(ctx: Context) -> Iterable[Violation]:
    code = ctx.document.service_code
    if code and code.strip().upper() == "FACTURES_PUBLIQUES":
        return (("service_code", NO_PARAMS),)
    return ()


@rule(
    "CPP-SRV-02",
    CPP,
    en="Chorus Pro takes a service code of at most 100 characters.",
    fr="Chorus Pro prend un code service de 100 caractères au plus.",
    paths=("service_code",),
)
def _service_code_length(ctx: Context) -> Iterable[Violation]:
    code = ctx.document.service_code
    return (("service_code", NO_PARAMS),) if code and len(code) > MAX_SERVICE_CODE else ()


@rule(
    "CPP-EJ-01",
    CPP,
    en="Chorus Pro takes an engagement (purchase order) number of at most 50 characters.",
    fr="Chorus Pro prend un numéro d'engagement (bon de commande) de 50 caractères au plus.",
    paths=("engagement_number",),
)
def _engagement_length(ctx: Context) -> Iterable[Violation]:
    number = ctx.document.engagement_number
    if number and len(number) > MAX_ENGAGEMENT:
        return (("engagement_number", NO_PARAMS),)
    return ()


@rule(
    "CPP-ATT-01",
    CPP,
    en="Chorus Pro takes attachment names of at most 50 characters, extension included.",
    fr="Chorus Pro prend des noms de pièce jointe de 50 caractères au plus, extension comprise.",
    paths=("attachments[].file_name",),
)
def _attachment_name(ctx: Context) -> Iterable[Violation]:
    return each(
        f"attachments[{i}].file_name"
        for i, a in enumerate(ctx.document.attachments)
        if len(a.file_name) > MAX_ATTACHMENT_NAME
    )


def _extension(file_name: str) -> str:
    stem, dot, extension = file_name.rpartition(".")
    return extension.lower() if dot and stem else ""


@rule(
    "CPP-ATT-02",
    CPP,
    en="The attachment needs an extension Chorus Pro takes (pdf, xml, csv, png, jpg, xlsx, "
    "docx, odt, zip...).",
    fr="La pièce jointe doit avoir une extension que Chorus Pro accepte (pdf, xml, csv, png, "
    "jpg, xlsx, docx, odt, zip...).",
    paths=("attachments[].file_name",),
)
def _attachment_extension(ctx: Context) -> Iterable[Violation]:
    return each(
        f"attachments[{i}].file_name"
        for i, a in enumerate(ctx.document.attachments)
        if _extension(a.file_name) not in ATTACHMENT_EXTENSIONS
    )


@rule(
    "CPP-ATT-03",
    CPP,
    en="Chorus Pro takes attachments of at most 10 MB each; this one has {size} bytes.",
    fr="Chorus Pro prend des pièces jointes de 10 Mo au plus chacune ; celle-ci fait {size} "
    "octets.",
    paths=("attachments[].content",),
)
def _attachment_size(ctx: Context) -> Iterable[Violation]:
    return [
        (f"attachments[{i}].content", {"size": size})
        for i, size in enumerate(ctx.attachment_sizes)
        if size is not None and size > MAX_ATTACHMENT_BYTES
    ]


@rule(
    "CPP-ATT-04",
    CPP,
    en="Chorus Pro takes at most 120 MB of attachments per invoice; these add up to {size} bytes.",
    fr="Chorus Pro prend 120 Mo de pièces jointes au plus par facture ; elles font {size} octets.",
    paths=("attachments",),
)
def _attachments_total(ctx: Context) -> Iterable[Violation]:
    total = sum(size or 0 for size in ctx.attachment_sizes)
    return (("attachments", {"size": total}),) if total > MAX_INVOICE_ATTACHMENTS_BYTES else ()


@rule(
    "CPP-AMT-01",
    CPP,
    en="Chorus Pro stores amounts with at most 13 integer digits (decimal(19,6)); this amount "
    "is larger.",
    fr="Chorus Pro enregistre les montants sur 13 chiffres entiers au plus (decimal(19,6)) ; "
    "ce montant est plus grand.",
    paths=("lines[]", "lines"),
)
def _amount_range(ctx: Context) -> Iterable[Violation]:
    found = [(f"lines[{i}]", NO_PARAMS) for i in ctx.line_overflow]
    if ctx.amount_overflow and not found:
        found.append(("lines", NO_PARAMS))
    return found


@rule(
    "GW-ATT-01",
    GW,
    en="The attachment content is not valid base64.",
    fr="Le contenu de la pièce jointe n'est pas du base64 valide.",
    paths=("attachments[].content",),
)
def _attachment_base64(ctx: Context) -> Iterable[Violation]:
    return each(
        f"attachments[{i}].content" for i, size in enumerate(ctx.attachment_sizes) if size is None
    )


@rule(
    "GW-BASE-QTY",
    GW,
    en="The price base quantity must be greater than zero.",
    fr="La quantité de base du prix doit être supérieure à zéro.",
    paths=("lines[].price_base_quantity",),
)
def _base_quantity(ctx: Context) -> Iterable[Violation]:
    return each(f"lines[{i}].price_base_quantity" for i in ctx.bad_base_quantity)


@rule(
    "GW-DUE-DATE",
    GW,
    en="The due date must not be before the invoice date.",
    fr="La date d'échéance ne doit pas précéder la date de facture.",
    paths=("due_date",),
)
def _due_after_issue(ctx: Context) -> Iterable[Violation]:
    document = ctx.document
    due, issued = document.due_date, document.issue_date
    if due is not None and issued is not None and due < issued:
        return (("due_date", NO_PARAMS),)
    return ()


@rule(
    "GW-TOTAL-PREPAID",
    GW,
    en="The declared paid amount is {declared} but prepaid_amount gives {expected}.",
    fr="Le montant déjà payé déclaré vaut {declared} mais prepaid_amount donne {expected}.",
    paths=("totals.prepaid",),
)
def _declared_prepaid(ctx: Context) -> Iterable[Violation]:
    totals = ctx.document.totals
    if totals is None or totals.prepaid is None or ctx.totals is None:
        return ()
    if totals.prepaid == ctx.totals.prepaid:
        return ()
    return (("totals.prepaid", {"declared": totals.prepaid, "expected": ctx.totals.prepaid}),)


@rule(
    "GW-CURRENCY",
    GW,
    en="Every amount of the file must be in the invoice currency (BT-5); {where} is not.",
    fr="Tous les montants du fichier doivent être dans la devise de la facture (BT-5) ; "
    "{where} ne l'est pas.",
    paths=("currency",),
)
def _amount_currencies(ctx: Context) -> Iterable[Violation]:
    """EN 16931 checks the currency of the VAT total only (BR-CO-15); Chorus Pro books every
    amount in the invoice currency, so a file mixing currencies is refused here too."""
    values = ctx.document.file_values
    if values is None:
        return ()
    return [("currency", {"where": where}) for where in values.foreign_currency_amounts]
