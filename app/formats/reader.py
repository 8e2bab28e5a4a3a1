"""Typed reads out of an untrusted, XSD-valid invoice tree, collecting errors instead of raising.

The CII and UBL readers build a JSON-shaped payload for `InvoiceDocument` through these helpers.
Numbers and dates go to the model as text, so a bad one is reported once, at its model field;
what only the file can get wrong (an unsupported billing frame) becomes a FieldError (English +
French) at its XPath. The ERP sees every problem of its file at once.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from app.document import DeclaredVat, FileValues
from app.formats.values import billing_frame_from_code
from app.kit.errors import FieldError

_WHITESPACE = re.compile(r"\s+")


Fields = tuple[tuple[str, str], ...]
"""(model key, XPath) pairs read the same way."""


class Reader:
    """Reads with one namespace map and records problems in `errors`."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.ns = namespaces
        self.errors: list[FieldError] = []
        self.line_net_amounts: list[Decimal | None] = []
        self.vat_breakdown: list[DeclaredVat] = []
        self.foreign_currency: list[str] = []

    def file_values(self) -> FileValues:
        """The amounts the file declared, as the rules judge them (BT-131, BG-23, currencyID)."""
        return FileValues(
            tuple(self.line_net_amounts), tuple(self.vat_breakdown), tuple(self.foreign_currency)
        )

    def decimal(self, node: etree._Element | None, path: str | None = None) -> Decimal | None:
        """A declared amount as a Decimal; None when absent or not a number (the XSD says so)."""
        raw = self.text(node, path)
        if raw is None:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
        return value if value.is_finite() else None

    def check_currencies(self, root: etree._Element, currency: str | None) -> None:
        """Every amount with a currencyID other than the invoice currency, by XPath."""
        if currency is None:
            return
        for node in root.iter():
            declared = node.get("currencyID") if isinstance(node.tag, str) else None
            if declared is not None and declared.strip() != currency:
                self.foreign_currency.append(self.where(node))

    def where(self, node: etree._Element) -> str:
        return str(node.getroottree().getpath(node))

    def fail(self, node: etree._Element, message: str, message_fr: str, code: str) -> None:
        self.errors.append(
            FieldError(field=self.where(node), message=message, message_fr=message_fr, code=code)
        )

    def find(self, node: etree._Element | None, path: str) -> etree._Element | None:
        return None if node is None else node.find(path, self.ns)

    def all(self, node: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if node is None else list(node.iterfind(path, self.ns))

    def text(self, node: etree._Element | None, path: str | None = None) -> str | None:
        """Stripped text of `node/path` (or of `node`); None when absent or blank."""
        found = node if path is None else self.find(node, path)
        if found is None or found.text is None:
            return None
        value = found.text.strip()
        return value or None

    def texts(self, node: etree._Element | None, fields: Fields) -> dict[str, Any]:
        """`{key: text of node/path}` for each (key, path) the file carries."""
        return {k: v for k, path in fields if (v := self.text(node, path)) is not None}

    def numbers(self, node: etree._Element | None, fields: Fields) -> dict[str, Any]:
        """`{key: number at node/path}` for each (key, path) the file carries."""
        return {k: v for k, path in fields if (v := self.number(node, path)) is not None}

    def base64(self, node: etree._Element | None) -> str | None:
        """Base64 content with the line breaks other producers insert removed."""
        if node is None or not node.text:
            return None
        return _WHITESPACE.sub("", node.text) or None

    def number(self, node: etree._Element | None, path: str | None = None) -> str | None:
        """A decimal as written; the model parses it and names the field if it cannot."""
        return self.text(node, path)

    def iso_date(self, node: etree._Element | None, path: str | None = None) -> str | None:
        """UBL xs:date without its optional time zone; the model parses and checks it."""
        raw = self.text(node, path)
        return None if raw is None else raw[:10]

    def cii_date(self, node: etree._Element | None, path: str) -> str | None:
        """A CII udt/qdt DateTimeString or DateString as ISO text for the model to check.

        Format 102 (YYYYMMDD) is EN 16931's; 203 and 204 only add a time, which is dropped.
        Anything else is passed on as written, so the model reports it at its field.
        """
        found = self.find(node, path)
        if found is None:
            return None
        string = found[0] if len(found) else found
        raw = self.text(string)
        if raw is None:
            return None
        if string.get("format", "102") in ("102", "203", "204") and raw[:8].isdigit():
            return f"{raw[:4]}-{raw[4:6]}-{raw[6:8]}"
        return raw


def put(payload: dict[str, Any], key: str, value: Any) -> None:
    """Only what the file carries: the model's defaults stay defaults."""
    if value is not None and value != [] and value != {}:
        payload[key] = value


_CHORUS_FRAME = re.compile(r"A\d{1,2}(_[A-Z_]+)?")


def frame_payload(r: Reader, node: etree._Element | None, payload: dict[str, Any]) -> None:
    """BT-23 to `billing_frame`: a Chorus frame the model has, or an error for the works frames
    it lacks; any other value (a PEPPOL profile, a 2026 B2B "S1") leaves the default A1."""
    raw = r.text(node)
    if node is None or raw is None:
        return
    frame = billing_frame_from_code(raw)
    if frame is not None:
        payload["billing_frame"] = frame
    elif _CHORUS_FRAME.fullmatch(raw):
        r.fail(
            node,
            f"billing frame '{raw}' is not one the gateway deposits (A1, A2, A9, A12)",
            f"le cadre de facturation « {raw} » n'est pas pris en charge (A1, A2, A9, A12)",
            "FILE-FRAME",
        )
