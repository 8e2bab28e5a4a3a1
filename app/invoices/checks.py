"""Checks run before an invoice is accepted; every failure is reported, not just the first."""

from __future__ import annotations

from datetime import date

from app.core.errors import FieldError
from app.invoices.document import INVOICE_NUMBER_PATTERN, InvoiceDocument

# EN 16931 rule ids for the declared totals the ERP may send.
_TOTAL_RULES = {
    "line_total": "BR-CO-10",
    "tax_exclusive": "BR-CO-13",
    "tax": "BR-CO-14",
    "tax_inclusive": "BR-CO-15",
    "payable": "BR-CO-16",
}


def check_document(document: InvoiceDocument, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    if not INVOICE_NUMBER_PATTERN.match(document.number):
        errors.append(
            FieldError(
                field="number",
                code="CPP-NUM-01",
                message="Chorus Pro takes at most 20 characters: letters, digits and - _ / +",
                message_fr="20 caractères au plus pour Chorus Pro : lettres, chiffres et - _ / +",
            )
        )
    if document.issue_date > today:
        errors.append(
            FieldError(
                field="issue_date",
                code="CPP-DATE-01",
                message="the invoice date must not be after the deposit date (today)",
                message_fr="la date de facture ne doit pas être postérieure à la date de dépôt",
            )
        )
    if document.due_date is not None and document.due_date < document.issue_date:
        errors.append(
            FieldError(
                field="due_date",
                code="GW-DUE-DATE",
                message="the due date must not be before the invoice date",
                message_fr="la date d'échéance ne doit pas précéder la date de facture",
            )
        )
    if document.totals is not None:
        computed = document.compute_totals()
        for name, rule in _TOTAL_RULES.items():
            declared = getattr(document.totals, name)
            expected = getattr(computed, name)
            if declared is not None and declared != expected:
                errors.append(
                    FieldError(
                        field=f"totals.{name}",
                        code=rule,
                        message=f"declared {declared} but the lines give {expected}",
                        message_fr=f"déclaré {declared} mais les lignes donnent {expected}",
                    )
                )
    return errors
