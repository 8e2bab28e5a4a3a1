"""Systematic variants of valid CII and UBL files: each declared amount altered, each amount's
currency changed; the agreement test runs them through both rule engines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from app.formats.names import NSMAP, UBL_NS

ALTERATION = Decimal("10.00")
"""Far beyond the one-unit tolerance some official rules allow, so every artefact sees it."""

CII_AMOUNTS = (
    "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/*",
    "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount",
    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount",
    "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount",
)
UBL_AMOUNTS = (
    "/*/cac:LegalMonetaryTotal/*",
    "/*/cac:TaxTotal/cbc:TaxAmount",
    "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount",
    "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount",
    "/*/cac:InvoiceLine/cbc:LineExtensionAmount",
    "/*/cac:CreditNoteLine/cbc:LineExtensionAmount",
    "/*/cac:AllowanceCharge/cbc:Amount",
)
CURRENCY = {"cii": "//ram:TaxTotalAmount", "ubl": "/*/cac:TaxTotal/cbc:TaxAmount"}


@dataclass(frozen=True)
class Variant:
    name: str
    flavour: str
    xml: bytes


def _namespaces(flavour: str) -> dict[str, str]:
    return dict(NSMAP) if flavour == "cii" else dict(UBL_NS)


def variants(name: str, flavour: str, xml: bytes) -> Iterator[Variant]:
    """The file itself, then one variant per declared amount and per currency change."""
    yield Variant(name, flavour, xml)
    namespaces = _namespaces(flavour)
    root = etree.fromstring(xml)
    paths = CII_AMOUNTS if flavour == "cii" else UBL_AMOUNTS
    count = sum(len(root.xpath(path, namespaces=namespaces)) for path in paths)
    for position in range(count):
        changed = etree.fromstring(xml)
        nodes = [n for p in paths for n in changed.xpath(p, namespaces=namespaces)]
        node = nodes[position]
        node.text = str(Decimal((node.text or "0").strip()) + ALTERATION)
        where = changed.getroottree().getpath(node)
        yield Variant(f"{name} {where} +{ALTERATION}", flavour, etree.tostring(changed))
    for position in range(len(root.xpath(CURRENCY[flavour], namespaces=namespaces))):
        changed = etree.fromstring(xml)
        node = changed.xpath(CURRENCY[flavour], namespaces=namespaces)[position]
        node.set("currencyID", "USD")
        where = changed.getroottree().getpath(node)
        yield Variant(f"{name} {where} in USD", flavour, etree.tostring(changed))
