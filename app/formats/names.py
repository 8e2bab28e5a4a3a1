"""Namespaces and root tags of the two XML syntaxes."""

from __future__ import annotations

from typing import Final

RSM_NS: Final = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS: Final = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT_NS: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT_NS: Final = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP: Final = {"rsm": RSM_NS, "ram": RAM_NS, "udt": UDT_NS, "qdt": QDT_NS}

UBL_INVOICE_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_NS: Final = {"cac": CAC_NS, "cbc": CBC_NS}

CII_ROOT: Final = f"{{{RSM_NS}}}CrossIndustryInvoice"
UBL_INVOICE_ROOT: Final = f"{{{UBL_INVOICE_NS}}}Invoice"
UBL_CREDIT_NOTE_ROOT: Final = f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote"
