"""The shared XML reader must not expand entities nor reach files or the network."""

from __future__ import annotations

import pathlib

import pytest
from lxml import etree

from app.formats.xml import parse_xml, safe_parser

SECRET = "TOP-SECRET-CONTENT-42"


@pytest.fixture
def secret_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def assert_unexpanded_reference(root: etree._Element, name: str) -> None:
    """The entity stays a bare reference node: nothing was substituted for it."""
    assert root.text is None
    assert [(type(child), child.text) for child in root] == [(etree._Entity, f"&{name};")]


def test_parser_options() -> None:
    parser = safe_parser()
    assert isinstance(parser, etree.XMLParser)
    # Distinct parsers per call: lxml parsers are stateful.
    assert safe_parser() is not parser


def test_parses_plain_xml() -> None:
    root = parse_xml(b"<?xml version='1.0' encoding='UTF-8'?><a><b>\xc3\xa9t\xc3\xa9</b></a>")
    assert root.findtext("b") == "été"


def test_keeps_whitespace() -> None:
    root = parse_xml(b"<a>\n  <b> x </b>\n</a>")
    assert root.text == "\n  "
    assert root.findtext("b") == " x "


def test_external_file_entity_is_not_resolved(secret_file: pathlib.Path) -> None:
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n'
        "<foo>&xxe;</foo>"
    ).encode()
    root = parse_xml(xxe)
    assert SECRET not in etree.tostring(root, encoding="unicode")
    assert_unexpanded_reference(root, "xxe")


def test_external_entity_in_attribute_position_is_not_resolved(secret_file: pathlib.Path) -> None:
    xxe = (
        f'<!DOCTYPE foo [<!ENTITY % ext SYSTEM "{secret_file.as_uri()}"> %ext;]>\n<foo a="1"/>'
    ).encode()
    try:
        root = parse_xml(xxe)
    except etree.XMLSyntaxError:
        return  # refusing the document is as safe as ignoring the entity
    assert SECRET not in etree.tostring(root, encoding="unicode")


def test_network_entity_is_not_fetched() -> None:
    # An unroutable address: with no_network the parser must not even try (the test would hang).
    xxe = b'<!DOCTYPE foo [<!ENTITY net SYSTEM "http://192.0.2.1/x">]><foo>&net;</foo>'
    root = parse_xml(xxe)
    assert_unexpanded_reference(root, "net")


def test_internal_entity_expansion_bomb_is_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<lolz>&lol3;</lolz>"
    )
    root = parse_xml(bomb)
    assert_unexpanded_reference(root, "lol3")
    assert "lollol" not in etree.tostring(root, encoding="unicode")


def test_invalid_xml_raises_syntax_error() -> None:
    with pytest.raises(etree.XMLSyntaxError):
        parse_xml(b"<a><b></a>")
