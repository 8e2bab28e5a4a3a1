"""Read a ready-made invoice file (CII XML, UBL XML or Factur-X PDF) into the invoice model.

Files come from outside: XML is parsed only with the hardened parser of `app.formats.xml`, a DTD
is refused outright (no entity of any kind reaches the reader), the tree is checked against the
official XSD, and only then mapped to an `InvoiceDocument`. Every problem found is reported at
once as a FieldError list, in English and French.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Final

from lxml import etree
from pydantic import ValidationError
from pypdf import PdfReader

from app.document import InvoiceDocument
from app.formats import Syntax
from app.formats.names import CII_ROOT, RSM_NS, UBL_CREDIT_NOTE_ROOT, UBL_INVOICE_ROOT
from app.formats.read_cii import read_cii
from app.formats.read_ubl import read_ubl
from app.formats.schemas import (
    CII_LEVEL_XSD,
    UBL_CREDIT_NOTE_XSD,
    UBL_INVOICE_XSD,
    xsd_errors,
)
from app.formats.xml import parse_xml
from app.kit.errors import FieldError, field_path

__all__ = ["MAX_FILE_BYTES", "ParsedInvoice", "UnreadableInvoiceFile", "parse_invoice_file"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
"""deposerFluxFacture takes at most 10 MB per file (API.md 5.4): larger cannot be deposited."""
_FACTURX_NAMES: Final = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_FRENCH: Final = {
    "missing": "donnée obligatoire absente du fichier",
    "value_error": "valeur refusée",
    "literal_error": "valeur non admise",
    "string_too_long": "texte trop long",
    "string_too_short": "texte vide",
    "string_pattern_mismatch": "format non respecté",
    "date_parsing": "date invalide",
    "date_from_datetime_parsing": "date invalide",
    "decimal_parsing": "nombre invalide",
    "decimal_max_places": "trop de décimales",
    "decimal_max_digits": "nombre trop long",
}
"""French for the model's error types; the English message keeps pydantic's detail."""
_GUIDELINE: Final = (
    f"{{{RSM_NS}}}ExchangedDocumentContext/"
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
    "GuidelineSpecifiedDocumentContextParameter/"
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}ID"
)


_MISSING_RULES: Final = {
    "number": "BR-02",
    "issue_date": "BR-03",
    "supplier.name": "BR-06",
    "recipient.name": "BR-07",
    "lines": "BR-16",
}
"""Mandatory fields the file lacks, named by the EN 16931 rule the official artefacts report
(the same ids `app.validation.payload` gives the JSON shape errors)."""


def _model_error_code(path: str, error_type: str) -> str:
    if error_type in ("missing", "string_too_short", "too_short"):
        return _MISSING_RULES.get(path, error_type)
    return error_type


@dataclass(frozen=True)
class ParsedInvoice:
    document: InvoiceDocument
    syntax: Syntax
    xml: bytes
    """The invoice XML: the file itself, or the XML embedded in a Factur-X PDF."""


class UnreadableInvoiceFile(ValueError):
    """The file is not an invoice the gateway can read; `errors` says every reason."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def _error(field: str, message: str, message_fr: str, code: str) -> UnreadableInvoiceFile:
    return UnreadableInvoiceFile(
        [FieldError(field=field, message=message, message_fr=message_fr, code=code)]
    )


def parse_invoice_file(content: bytes) -> ParsedInvoice:
    """Detect the syntax, check the file against its XSD and map it to an InvoiceDocument."""
    if not content.strip():
        raise _error("file", "the file is empty", "le fichier est vide", "FILE-EMPTY")
    if len(content) > MAX_FILE_BYTES:
        raise _error(
            "file",
            "the file is larger than Chorus Pro accepts (10 MB)",
            "le fichier dépasse la taille acceptée par Chorus Pro (10 Mo)",
            "FILE-TOO-LARGE",
        )
    if b"%PDF-" in content[:1024]:
        xml = _xml_from_pdf(content)
        root = _parse(xml, "file:factur-x.xml")
        if root.tag != CII_ROOT:
            raise _error(
                "file:factur-x.xml",
                "the XML embedded in the PDF is not a CII (Factur-X) invoice",
                "le XML contenu dans le PDF n'est pas une facture CII (Factur-X)",
                "FILE-NOT-FACTURX",
            )
        return _read(root, Syntax.FACTURX, xml)
    root = _parse(content, "file")
    if root.tag == CII_ROOT:
        return _read(root, Syntax.CII_D16B, content)
    if root.tag in (UBL_INVOICE_ROOT, UBL_CREDIT_NOTE_ROOT):
        return _read(root, Syntax.UBL_INVOICE, content)
    name = etree.QName(root).localname
    raise _error(
        "file",
        f"'{name}' is not a CII or UBL invoice, nor a Factur-X PDF",
        f"« {name} » n'est ni une facture CII ou UBL, ni un PDF Factur-X",
        "FILE-UNKNOWN-SYNTAX",
    )


def _parse(data: bytes, field: str) -> etree._Element:
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise _error(
            field, f"not well-formed XML: {exc}", f"XML mal formé : {exc}", "FILE-NOT-XML"
        ) from exc
    docinfo = root.getroottree().docinfo
    doctype: object = getattr(docinfo, "doctype", None)  # missing from lxml-stubs
    if docinfo.internalDTD is not None or doctype:
        # Invoices never need a DTD; refusing it closes XXE and entity expansion for good.
        raise _error(
            field,
            "a DOCTYPE/DTD is not allowed in an invoice",
            "une DOCTYPE/DTD n'est pas admise dans une facture",
            "FILE-DTD",
        )
    return root


def _xml_from_pdf(content: bytes) -> bytes:
    """The Factur-X XML attachment, extracted without parsing it (our parser does that).

    `facturx.get_xml_from_pdf` would parse it first with lxml's default parser, which expands
    internal entities; pypdf's attachment list is what it reads, so we read it directly.
    """
    try:
        attachments = PdfReader(io.BytesIO(content)).attachments
        files = {name.lower(): data for name, data in attachments.items()}
    except Exception as exc:  # pypdf raises many unrelated types on broken files
        logger.info("unreadable PDF: %s", exc)
        raise _error("file", "the PDF cannot be read", "le PDF est illisible", "FILE-PDF") from exc
    for name in _FACTURX_NAMES:
        if files.get(name):
            return bytes(files[name][0])
    raise _error(
        "file",
        "the PDF has no Factur-X XML (factur-x.xml) attached",
        "le PDF ne contient pas de XML Factur-X (factur-x.xml)",
        "FILE-NO-FACTURX-XML",
    )


def _cii_xsd(root: etree._Element) -> str:
    """The XSD of the Factur-X profile the file declares (BT-24); EN 16931 by default."""
    guideline = root.findtext(_GUIDELINE) or ""
    for level in ("extended-ctc-fr", "extended", "basic"):
        if guideline.endswith(f":{level}") or f":{level}#" in guideline:
            return CII_LEVEL_XSD[level]
    if guideline.endswith(("minimum", "basicwl")):
        raise _error(
            "file",
            "a Factur-X MINIMUM or BASIC WL file has no invoice lines: send EN 16931",
            "un Factur-X MINIMUM ou BASIC WL n'a pas de lignes : envoyez le profil EN 16931",
            "FILE-PROFILE",
        )
    return CII_LEVEL_XSD["en16931"]


def _read(root: etree._Element, syntax: Syntax, xml: bytes) -> ParsedInvoice:
    if root.tag == CII_ROOT:
        xsd = _cii_xsd(root)
    else:
        xsd = UBL_CREDIT_NOTE_XSD if root.tag == UBL_CREDIT_NOTE_ROOT else UBL_INVOICE_XSD
    problems = xsd_errors(root, xsd)
    if problems:
        raise UnreadableInvoiceFile(
            [
                FieldError(
                    field=where,
                    message=f"does not match the official XSD: {message}",
                    message_fr=f"non conforme au XSD officiel : {message}",
                    code="FILE-XSD",
                )
                for where, message in problems
            ]
        )
    payload, reader = read_cii(root) if root.tag == CII_ROOT else read_ubl(root)
    payload["syntax"] = syntax.value
    errors = list(reader.errors)
    try:
        document = InvoiceDocument.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            path = field_path(tuple(error["loc"]))
            errors.append(
                FieldError(
                    field=path,
                    message=str(error["msg"]),
                    message_fr=_FRENCH.get(error["type"], "valeur refusée"),
                    code=_model_error_code(path, str(error["type"])),
                )
            )
        raise UnreadableInvoiceFile(errors) from exc
    if errors:
        raise UnreadableInvoiceFile(errors)
    document.with_file_values(reader.file_values())
    return ParsedInvoice(document=document, syntax=syntax, xml=xml)
