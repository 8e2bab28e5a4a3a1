"""One hardened way to read XML: invoices and replies come from outside and may be hostile."""

from __future__ import annotations

from lxml import etree


def safe_parser() -> etree.XMLParser:
    """A parser that never expands entities nor touches the network (XXE, billion laughs)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        load_dtd=False,
        dtd_validation=False,
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted bytes; raises `lxml.etree.XMLSyntaxError` when they are not XML."""
    # A fresh parser per call: lxml parsers keep state and are not safe to share across threads.
    return etree.fromstring(data, parser=safe_parser())
