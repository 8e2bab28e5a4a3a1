"""UBL 2.1 generator, EN 16931 binding: the syntax Chorus Pro takes as IN_DP_E1_UBL_INVOICE.

`Invoice` for types 380, 384 and 386, `CreditNote` for 381. Written as a stream of escaped
strings like `cii`; element order from the UBL 2.1 maindoc XSD sequences (Invoice and CreditNote
differ: TaxPointDate, DueDate, the project reference and the line element names), which the tests
check on every shape against both XSDs. Parties, payment, totals and lines are in `ubl_parts`.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from app.document import InvoiceDocument
from app.formats import ubl_parts
from app.formats.elements import XmlWriter, attrs
from app.formats.names import (
    CAC_NS,
    CBC_NS,
    UBL_CREDIT_NOTE_NS,
    UBL_CREDIT_NOTE_ROOT,
    UBL_INVOICE_NS,
)
from app.formats.schemas import UBL_CREDIT_NOTE_XSD, UBL_INVOICE_XSD, xsd_errors
from app.formats.values import (
    EN16931_CUSTOMIZATION,
    PROJECT_DOCUMENT_TYPE_CODE,
    XML_DECLARATION,
    billing_frame_code,
    note_text,
)
from app.formats.xml import parse_xml

__all__ = ["UblValidationError", "build_ubl", "build_ubl_tree", "is_credit_note", "validate_ubl"]

_PREFIXES: Final = attrs(**{"xmlns:cac": CAC_NS, "xmlns:cbc": CBC_NS})
_INVOICE_START: Final = "Invoice" + attrs(xmlns=UBL_INVOICE_NS) + _PREFIXES
_CREDIT_NOTE_START: Final = "CreditNote" + attrs(xmlns=UBL_CREDIT_NOTE_NS) + _PREFIXES


def is_credit_note(document: InvoiceDocument) -> bool:
    return document.type_code == "381"


def build_ubl(document: InvoiceDocument) -> bytes:
    """Render the document as a UBL 2.1 Invoice or CreditNote, UTF-8 with an XML declaration."""
    credit_note = is_credit_note(document)
    w = XmlWriter(XML_DECLARATION)
    w.start(_CREDIT_NOTE_START if credit_note else _INVOICE_START)
    w.code("cbc:CustomizationID", EN16931_CUSTOMIZATION)
    # BT-23: the Chorus Pro cadre de facturation, as in CII (docs/invoice-model.md).
    w.code("cbc:ProfileID", billing_frame_code(document.billing_frame))
    w.leaf("cbc:ID", document.number)
    w.code("cbc:IssueDate", document.issue_date.isoformat())
    if credit_note:
        if document.tax_point_date is not None:
            w.code("cbc:TaxPointDate", document.tax_point_date.isoformat())
        w.code("cbc:CreditNoteTypeCode", document.type_code)
    else:
        if document.due_date is not None:
            w.code("cbc:DueDate", document.due_date.isoformat())
        w.code("cbc:InvoiceTypeCode", document.type_code)
    for note in document.notes:
        w.leaf("cbc:Note", note_text(note.text, note.subject_code))
    if not credit_note and document.tax_point_date is not None:
        w.code("cbc:TaxPointDate", document.tax_point_date.isoformat())
    w.code("cbc:DocumentCurrencyCode", document.currency)
    if document.service_code:
        # BT-10: the Chorus Pro service code (also in the buyer contact ID, see ubl_parts).
        w.leaf("cbc:BuyerReference", document.service_code)
    if document.invoicing_period is not None:
        ubl_parts.period(w, document.invoicing_period)
    if document.engagement_number:
        # BT-13: the engagement juridique (EJ) / purchase order number.
        w.start("cac:OrderReference")
        w.leaf("cbc:ID", document.engagement_number)
        w.end("cac:OrderReference")
    for preceding in document.preceding_invoices:
        w.start("cac:BillingReference")
        w.start("cac:InvoiceDocumentReference")
        w.leaf("cbc:ID", preceding.number)
        if preceding.issue_date is not None:
            w.code("cbc:IssueDate", preceding.issue_date.isoformat())
        w.end("cac:InvoiceDocumentReference")
        w.end("cac:BillingReference")
    if document.contract_reference:
        w.start("cac:ContractDocumentReference")
        w.leaf("cbc:ID", document.contract_reference)
        w.end("cac:ContractDocumentReference")
    _documents(w, document, credit_note)

    ubl_parts.party(w, "cac:AccountingSupplierParty", document.supplier, None)
    ubl_parts.party(w, "cac:AccountingCustomerParty", document.recipient, document.service_code)
    ubl_parts.delivery(w, document)
    ubl_parts.payment(w, document, credit_note=credit_note)
    ubl_parts.totals(w, document)
    line_tag = "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity"
    for position, line in enumerate(document.lines, start=1):
        ubl_parts.line(w, line, position, line_tag, quantity_tag, document.currency)
    w.end("CreditNote" if credit_note else "Invoice")
    return w.getvalue()


def _documents(w: XmlWriter, document: InvoiceDocument, credit_note: bool) -> None:
    """Supporting documents (BG-24) and the project reference (BT-11)."""
    for attachment in document.attachments:
        w.start("cac:AdditionalDocumentReference")
        w.leaf("cbc:ID", attachment.id)
        if attachment.description:
            w.leaf("cbc:DocumentDescription", attachment.description)
        w.start("cac:Attachment")
        w.leaf(
            "cbc:EmbeddedDocumentBinaryObject",
            attachment.content,
            mimeCode=attachment.mime_type,
            filename=attachment.file_name,
        )
        w.end("cac:Attachment")
        w.end("cac:AdditionalDocumentReference")
    if not document.project_reference:
        return
    if credit_note:
        # A CreditNote has no ProjectReference: EN 16931 types a document reference instead.
        w.start("cac:AdditionalDocumentReference")
        w.leaf("cbc:ID", document.project_reference)
        w.code("cbc:DocumentTypeCode", PROJECT_DOCUMENT_TYPE_CODE)
        w.end("cac:AdditionalDocumentReference")
    else:
        w.start("cac:ProjectReference")
        w.leaf("cbc:ID", document.project_reference)
        w.end("cac:ProjectReference")


def build_ubl_tree(document: InvoiceDocument) -> etree._Element:
    """The UBL as an lxml tree, for tests and diagnostics (parses `build_ubl`'s output)."""
    return parse_xml(build_ubl(document))


class UblValidationError(ValueError):
    """The generated XML breaks the UBL 2.1 schema: a generator bug, never the ERP's fault."""


def validate_ubl(root: etree._Element) -> None:
    """Check a UBL tree against the UBL 2.1 maindoc XSD of its root (tests and diagnostics)."""
    path = UBL_CREDIT_NOTE_XSD if root.tag == UBL_CREDIT_NOTE_ROOT else UBL_INVOICE_XSD
    errors = xsd_errors(root, path)
    if errors:
        detail = "; ".join(f"{where}: {message}" for where, message in errors)
        raise UblValidationError(f"UBL does not match the UBL 2.1 XSD: {detail}")
