"""Factur-X (EN 16931 profile): a PDF/A-3 carrying our CII, the syntax IN_DP_E2_CII_FACTURX.

The factur-x package embeds the XML (AFRelationship Data), checks it against the XSD and writes
the PDF/A-3 XMP metadata. The visible PDF is the ERP's own when it sends one, else the gateway's
rendering (`facturx_visual`), to which we add the sRGB output intent PDF/A wants. We do not run
a PDF/A validator: an ERP PDF that is not PDF/A (fonts not embedded, transparency) stays so.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Final

import facturx
from PIL import ImageCms
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from app.document import InvoiceDocument
from app.formats.cii import build_cii
from app.formats.facturx_visual import TITLES, render_visual_pdf

PDF_PRODUCER: Final = "pypdf"
"""The producer factur-x writes into the XMP; the Info dictionary must say the same (PDF/A)."""


class InvalidVisualPdf(ValueError):
    """The ERP's visual PDF is not a PDF."""


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    """An sRGB ICC profile made by LittleCMS (bundled with Pillow): no file to ship."""
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def _add_output_intent(writer: PdfWriter) -> None:
    """The sRGB OutputIntent PDF/A requires for the device colours of our rendering."""
    profile = DecodedStreamObject()
    profile.set_data(_srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB"),
            NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
            NameObject("/DestOutputProfile"): writer._add_object(profile.flate_encode()),
        }
    )
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])


def _finish(pdf: bytes, *, ours: bool) -> bytes:
    """PDF/A wants every Info entry mirrored in the XMP: drop those factur-x's XMP lacks
    (Keywords, Trapped) and state the producer it writes there; our rendering also gets its
    output intent (an ERP's PDF keeps its own colour handling)."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    info = writer._info.get_object() if writer._info is not None else None
    if isinstance(info, DictionaryObject):
        for key in ("/Keywords", "/Trapped"):
            info.pop(NameObject(key), None)
        info[NameObject("/Producer")] = TextStringObject(PDF_PRODUCER)
    if ours:
        _add_output_intent(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_facturx(document: InvoiceDocument, *, visual_pdf: bytes | None = None) -> bytes:
    """The Factur-X PDF/A-3 of the document (the ERP's PDF when given, else ours)."""
    if visual_pdf is not None:
        if b"%PDF-" not in visual_pdf[:1024]:
            raise InvalidVisualPdf("visual_pdf is not a PDF (no %PDF- header)")
        pdf = visual_pdf
    else:
        pdf = render_visual_pdf(document)
    kind = TITLES.get(document.type_code, "FACTURE").capitalize()
    metadata = {
        "author": document.supplier.name,
        "title": f"{document.supplier.name} : {kind} {document.number}",
        "subject": f"{kind} {document.number} du {document.issue_date.isoformat()}",
    }
    result: bytes = facturx.generate_from_binary(
        pdf,
        build_cii(document),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata=metadata,
        lang="fr-FR",
    )
    return _finish(result, ours=visual_pdf is None)
