"""Invoice syntaxes Chorus Pro accepts, behind one `render` call so callers never pick a module."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from app.document import InvoiceDocument
from app.formats.cii import build_cii
from app.formats.ubl import build_ubl

__all__ = [
    "MAX_FILE_NAME_LENGTH",
    "RenderedInvoice",
    "Syntax",
    "file_name_for",
    "render",
    "render_document",
]

MAX_FILE_NAME_LENGTH: Final = 200
_UNSAFE_FILE_NAME_CHARS: Final = re.compile(r"[^A-Za-z0-9._-]")


class Syntax(StrEnum):
    """Values are the Chorus Pro `syntaxeFlux` codes, so they go to the API as they are."""

    CII_D16B = "IN_DP_E1_CII_16B"
    UBL_INVOICE = "IN_DP_E1_UBL_INVOICE"
    FACTURX = "IN_DP_E2_CII_FACTURX"


@dataclass(frozen=True)
class RenderedInvoice:
    content: bytes
    file_name: str
    syntax: Syntax


def file_name_for(number: str, prefix: str, extension: str) -> str:
    """Invoice numbers may hold '/' or '+': keep file names portable and short enough for Chorus."""
    safe = _UNSAFE_FILE_NAME_CHARS.sub("_", number)
    suffix = f".{extension}"
    stem = f"{prefix}_{safe}"[: MAX_FILE_NAME_LENGTH - len(suffix)]
    return stem + suffix


def render(
    document: InvoiceDocument,
    syntax: Syntax = Syntax.CII_D16B,
    *,
    visual_pdf: bytes | None = None,
) -> RenderedInvoice:
    """Render the document in the given syntax, ready to deposit with that `syntaxeFlux`.

    `visual_pdf` is the ERP's own rendering of the invoice, used only for Factur-X; without it
    the gateway draws one.
    """
    if syntax is Syntax.CII_D16B:
        content = build_cii(document)
        return RenderedInvoice(content, file_name_for(document.number, "cii", "xml"), syntax)
    if syntax is Syntax.UBL_INVOICE:
        content = build_ubl(document)
        return RenderedInvoice(content, file_name_for(document.number, "ubl", "xml"), syntax)
    # Imported on first use: the PDF libraries are heavy and the XML paths never need them.
    from app.formats.facturx_pdf import build_facturx

    content = build_facturx(document, visual_pdf=visual_pdf)
    return RenderedInvoice(content, file_name_for(document.number, "facturx", "pdf"), syntax)


def render_document(document: InvoiceDocument, syntax: Syntax) -> RenderedInvoice:
    """`render` with the ERP's own PDF, when the document carries one, for Factur-X."""
    visual = base64.b64decode(document.visual_pdf) if document.visual_pdf else None
    return render(document, syntax, visual_pdf=visual)
