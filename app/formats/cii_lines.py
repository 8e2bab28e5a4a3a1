"""CII invoice lines (BG-25) and the allowance/charge shape lines and header share."""

from __future__ import annotations

from decimal import Decimal

from app.document import AllowanceCharge, InvoiceLine, Period
from app.formats.elements import FORMAT_102, XmlWriter, unit_code
from app.formats.values import format_amount, format_decimal, line_id, price_discount


def line_item(w: XmlWriter, line: InvoiceLine, position: int) -> None:
    w.raw("<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>")
    w.leaf("ram:LineID", line_id(line, position))
    if line.note:
        w.start("ram:IncludedNote")
        w.leaf("ram:Content", line.note)
        w.end("ram:IncludedNote")
    w.raw("</ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct>")
    w.leaf("ram:Name", line.name)
    if line.description:
        w.leaf("ram:Description", line.description)
    w.raw("</ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement>")
    if line.order_line_reference:
        w.start("ram:BuyerOrderReferencedDocument")
        w.leaf("ram:LineID", line.order_line_reference)
        w.end("ram:BuyerOrderReferencedDocument")
    discount = price_discount(line)
    if line.gross_price is not None and discount is not None:
        w.start("ram:GrossPriceProductTradePrice")
        w.code("ram:ChargeAmount", format_decimal(line.gross_price))
        _base_quantity(w, line)
        if discount:
            w.raw(
                "<ram:AppliedTradeAllowanceCharge><ram:ChargeIndicator>"
                "<udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>"
            )
            w.code("ram:ActualAmount", format_decimal(discount))
            w.end("ram:AppliedTradeAllowanceCharge")
        w.end("ram:GrossPriceProductTradePrice")
    w.start("ram:NetPriceProductTradePrice")
    w.code("ram:ChargeAmount", format_decimal(line.unit_price))
    _base_quantity(w, line)
    w.raw("</ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>")

    w.start("ram:SpecifiedLineTradeDelivery")
    w.code("ram:BilledQuantity", format_decimal(line.quantity), unit_code(line.unit_code))
    w.raw(
        "</ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement>"
        "<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>"
    )
    w.code("ram:CategoryCode", line.vat_category)
    if line.vat_category != "O":
        w.code("ram:RateApplicablePercent", format_decimal(line.vat_rate))
    w.end("ram:ApplicableTradeTax")
    if line.period is not None:
        period(w, line.period)
    for allowance in line.allowances:
        allowance_charge(w, allowance, charge=False)
    for charge in line.charges:
        allowance_charge(w, charge, charge=True)
    w.start("ram:SpecifiedTradeSettlementLineMonetarySummation")
    w.code("ram:LineTotalAmount", format_amount(line.net_amount()))
    w.end("ram:SpecifiedTradeSettlementLineMonetarySummation")
    if line.buyer_accounting_reference:
        w.start("ram:ReceivableSpecifiedTradeAccountingAccount")
        w.leaf("ram:ID", line.buyer_accounting_reference)
        w.end("ram:ReceivableSpecifiedTradeAccountingAccount")
    w.raw("</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>")


def _base_quantity(w: XmlWriter, line: InvoiceLine) -> None:
    if line.price_base_quantity is not None:
        base = format_decimal(line.price_base_quantity)
        w.code("ram:BasisQuantity", base, unit_code(line.unit_code))


def period(w: XmlWriter, value: Period) -> None:
    """BillingSpecifiedPeriod (BG-14 / BG-26); an empty period is still a valid element."""
    w.start("ram:BillingSpecifiedPeriod")
    for tag, day in (("ram:StartDateTime", value.start), ("ram:EndDateTime", value.end)):
        if day is not None:
            w.start(tag)
            w.code("udt:DateTimeString", day.strftime("%Y%m%d"), FORMAT_102)
            w.end(tag)
    w.end("ram:BillingSpecifiedPeriod")


def allowance_charge(
    w: XmlWriter,
    entry: AllowanceCharge,
    *,
    charge: bool,
    vat: tuple[str, Decimal | None] | None = None,
) -> None:
    """SpecifiedTradeAllowanceCharge; `vat` (category, rate) only at document level."""
    w.start("ram:SpecifiedTradeAllowanceCharge")
    w.start("ram:ChargeIndicator")
    w.code("udt:Indicator", "true" if charge else "false")
    w.end("ram:ChargeIndicator")
    if entry.percentage is not None:
        w.code("ram:CalculationPercent", format_decimal(entry.percentage))
    if entry.base_amount is not None:
        w.code("ram:BasisAmount", format_amount(entry.base_amount))
    w.code("ram:ActualAmount", format_amount(entry.computed_amount()))
    if entry.reason_code:
        w.leaf("ram:ReasonCode", entry.reason_code)
    if entry.reason:
        w.leaf("ram:Reason", entry.reason)
    if vat is not None:
        category, rate = vat
        w.start("ram:CategoryTradeTax")
        w.code("ram:TypeCode", "VAT")
        w.code("ram:CategoryCode", category)
        if rate is not None:
            w.code("ram:RateApplicablePercent", format_decimal(rate))
        w.end("ram:CategoryTradeTax")
    w.end("ram:SpecifiedTradeAllowanceCharge")
