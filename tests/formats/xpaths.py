"""XPath helpers over both syntaxes: one namespace map, typed results."""

from __future__ import annotations

from lxml import etree

from app.formats.names import CAC_NS, CBC_NS, NSMAP, UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS

NS = {**NSMAP, "cac": CAC_NS, "cbc": CBC_NS, "inv": UBL_INVOICE_NS, "cn": UBL_CREDIT_NOTE_NS}
CII_AGREEMENT = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
)
CII_DELIVERY = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery"
)
CII_SETTLEMENT = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
)
CII_LINES = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"
)


def nodes(root: etree._Element, path: str) -> list[etree._Element]:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [node for node in found if isinstance(node, etree._Element)]


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(node.text) for node in nodes(root, path)]


def text(root: etree._Element, path: str) -> str:
    found = texts(root, path)
    assert len(found) == 1, f"{path} matched {len(found)} nodes"
    return found[0]


def with_attribute(root: etree._Element, path: str, name: str) -> list[tuple[str, str | None]]:
    return [(str(node.text), node.get(name)) for node in nodes(root, path)]
