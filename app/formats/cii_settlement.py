"""CII ApplicableHeaderTradeSettlement: payment, VAT breakdown, allowances, terms and totals."""

from __future__ import annotations

from app.document import ComputedTotals, InvoiceDocument
from app.formats.cii_lines import allowance_charge, period
from app.formats.elements import FORMAT_102, XmlWriter, currency_id
from app.formats.values import (
    allowance_vat,
    exemption_for,
    format_amount,
    format_decimal,
    payment_means_code,
)


def settlement(w: XmlWriter, document: InvoiceDocument) -> None:
    totals = document.compute_totals()
    w.start("ram:ApplicableHeaderTradeSettlement")
    payment = document.payment
    if payment is not None and payment.remittance_information:
        w.leaf("ram:PaymentReference", payment.remittance_information)
    w.code("ram:InvoiceCurrencyCode", document.currency)

    code = payment_means_code(document)
    if code is not None:
        w.start("ram:SpecifiedTradeSettlementPaymentMeans")
        # Chorus Pro rejects a CII whose payment means has no TypeCode (OCA l10n-france #414).
        w.code("ram:TypeCode", code)
        if payment is not None and (payment.iban or payment.account_name):
            w.start("ram:PayeePartyCreditorFinancialAccount")
            if payment.iban:
                w.code("ram:IBANID", payment.iban)
            if payment.account_name:
                w.leaf("ram:AccountName", payment.account_name)
            w.end("ram:PayeePartyCreditorFinancialAccount")
        if payment is not None and payment.bic:
            w.start("ram:PayeeSpecifiedCreditorFinancialInstitution")
            w.code("ram:BICID", payment.bic)
            w.end("ram:PayeeSpecifiedCreditorFinancialInstitution")
        w.end("ram:SpecifiedTradeSettlementPaymentMeans")

    tax_point = document.tax_point_date.strftime("%Y%m%d") if document.tax_point_date else None
    for position, breakdown in enumerate(totals.vat_breakdown):
        w.start("ram:ApplicableTradeTax")
        w.code("ram:CalculatedAmount", format_amount(breakdown.tax_amount))
        w.code("ram:TypeCode", "VAT")
        exemption = exemption_for(breakdown)
        if exemption is not None and exemption[0]:
            w.leaf("ram:ExemptionReason", exemption[0])
        w.code("ram:BasisAmount", format_amount(breakdown.taxable_amount))
        w.code("ram:CategoryCode", breakdown.category)
        if exemption is not None and exemption[1]:
            w.leaf("ram:ExemptionReasonCode", exemption[1])
        if tax_point is not None and position == 0:
            # BT-7 has its place in a breakdown in CII, but once only (CII-SR-461).
            w.start("ram:TaxPointDate")
            w.code("udt:DateString", tax_point, FORMAT_102)
            w.end("ram:TaxPointDate")
        if breakdown.category != "O":
            w.code("ram:RateApplicablePercent", format_decimal(breakdown.rate))
        w.end("ram:ApplicableTradeTax")

    if document.invoicing_period is not None:
        period(w, document.invoicing_period)
    for allowance in document.allowances:
        allowance_charge(w, allowance, charge=False, vat=allowance_vat(allowance))
    for charge in document.charges:
        allowance_charge(w, charge, charge=True, vat=allowance_vat(charge))

    if document.payment_terms or document.due_date is not None:
        w.start("ram:SpecifiedTradePaymentTerms")
        if document.payment_terms:
            w.leaf("ram:Description", document.payment_terms)
        if document.due_date is not None:
            w.start("ram:DueDateDateTime")
            w.code("udt:DateTimeString", document.due_date.strftime("%Y%m%d"), FORMAT_102)
            w.end("ram:DueDateDateTime")
        w.end("ram:SpecifiedTradePaymentTerms")

    _summation(w, document, totals)

    for preceding in document.preceding_invoices:
        w.start("ram:InvoiceReferencedDocument")
        w.leaf("ram:IssuerAssignedID", preceding.number)
        if preceding.issue_date is not None:
            w.start("ram:FormattedIssueDateTime")
            w.code("qdt:DateTimeString", preceding.issue_date.strftime("%Y%m%d"), FORMAT_102)
            w.end("ram:FormattedIssueDateTime")
        w.end("ram:InvoiceReferencedDocument")
    w.end("ram:ApplicableHeaderTradeSettlement")


def _summation(w: XmlWriter, document: InvoiceDocument, totals: ComputedTotals) -> None:
    w.start("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    w.code("ram:LineTotalAmount", format_amount(totals.line_total))
    w.code("ram:ChargeTotalAmount", format_amount(totals.charge_total))
    w.code("ram:AllowanceTotalAmount", format_amount(totals.allowance_total))
    w.code("ram:TaxBasisTotalAmount", format_amount(totals.tax_exclusive))
    w.code("ram:TaxTotalAmount", format_amount(totals.tax), currency_id(document.currency))
    if document.rounding_amount is not None:
        w.code("ram:RoundingAmount", format_amount(totals.rounding))
    w.code("ram:GrandTotalAmount", format_amount(totals.tax_inclusive))
    if document.prepaid_amount is not None:
        w.code("ram:TotalPrepaidAmount", format_amount(totals.prepaid))
    w.code("ram:DuePayableAmount", format_amount(totals.payable))
    w.end("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
