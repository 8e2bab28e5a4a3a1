"""The canonical invoice: the EN 16931 model as French public invoicing uses it.

The bottom of the house: formats, validation and every stage of an invoice's way import it;
it imports nothing of the application.
"""

from app.document.fields import CENT, INVOICE_NUMBER_PATTERN, BillingFrame, Siret, round_amount
from app.document.model import (
    Address,
    AllowanceCharge,
    Attachment,
    Contact,
    DeclaredTotals,
    DeclaredVat,
    Delivery,
    FileValues,
    InvoiceDocument,
    InvoiceLine,
    Note,
    Party,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Syntax,
    VatExemption,
)
from app.document.totals import ComputedTotals, VatBreakdown

__all__ = [
    "CENT",
    "INVOICE_NUMBER_PATTERN",
    "Address",
    "AllowanceCharge",
    "Attachment",
    "BillingFrame",
    "ComputedTotals",
    "Contact",
    "DeclaredTotals",
    "DeclaredVat",
    "Delivery",
    "FileValues",
    "InvoiceDocument",
    "InvoiceLine",
    "Note",
    "Party",
    "PaymentMeans",
    "Period",
    "PrecedingInvoice",
    "Siret",
    "Syntax",
    "VatBreakdown",
    "VatExemption",
    "round_amount",
]
