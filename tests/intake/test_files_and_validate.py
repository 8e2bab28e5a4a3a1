"""Ready-made files, the dry run, and the per-supplier syntax."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.document import InvoiceDocument
from app.formats import Syntax, render
from app.models import Invoice, InvoiceFile
from tests.factories import invoice_body as invoice
from tests.factories import post_invoice as post

SUPPLIER = "81234567600017"


def rendered(syntax: Syntax, **changes: Any) -> bytes:
    return render(InvoiceDocument.model_validate(invoice(**changes)), syntax).content


async def post_file(
    client: httpx.AsyncClient, content: bytes, key: str, name: str = "f.xml"
) -> httpx.Response:
    body = {"file": {"content": base64.b64encode(content).decode(), "file_name": name}}
    return await client.post("/v1/invoices", json=body, headers={"Idempotency-Key": key})


async def test_validate_returns_the_xml_and_stores_nothing(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/v1/invoices/validate", json=invoice())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is True
    assert report["syntax"] == "IN_DP_E1_CII_16B"
    assert "<ram:BuyerReference>SERV-FINANCES</ram:BuyerReference>" in report["xml"]
    refused = await client.post("/v1/invoices/validate", json=invoice(issue_date="2999-01-01"))
    assert refused.status_code == 422
    assert "CPP-DATE-01" in {e["code"] for e in refused.json()["errors"]}
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 0


async def test_supplier_default_syntax_and_invoice_override(client: httpx.AsyncClient) -> None:
    settings = await client.get(f"/v1/suppliers/{SUPPLIER}/settings")
    assert settings.json()["default_syntax"] == "IN_DP_E1_CII_16B"
    put = await client.put(
        f"/v1/suppliers/{SUPPLIER}/settings", json={"default_syntax": "IN_DP_E1_UBL_INVOICE"}
    )
    assert put.status_code == 200, put.text
    ubl = (await post(client, invoice(number="SYN-1"), "syn-1")).json()
    assert ubl["syntax"] == "IN_DP_E1_UBL_INVOICE"
    overridden = (
        await post(client, invoice(number="SYN-2", syntax="IN_DP_E2_CII_FACTURX"), "syn-2")
    ).json()
    assert overridden["syntax"] == "IN_DP_E2_CII_FACTURX"
    report = (await client.post("/v1/invoices/validate", json=invoice(number="SYN-3"))).json()
    assert report["syntax"] == "IN_DP_E1_UBL_INVOICE"
    assert "<cbc:BuyerReference>SERV-FINANCES</cbc:BuyerReference>" in report["xml"]
    bad = await client.put(f"/v1/suppliers/{SUPPLIER}/settings", json={"default_syntax": "PDF"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("syntax", "name"),
    [
        (Syntax.CII_D16B, "cii.xml"),
        (Syntax.UBL_INVOICE, "ubl.xml"),
        (Syntax.FACTURX, "facturx.pdf"),
    ],
)
async def test_ready_made_file_is_read_checked_and_kept_unchanged(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    syntax: Syntax,
    name: str,
) -> None:
    content = rendered(syntax, number=f"FILE-{syntax.name[:3]}")
    response = await post_file(client, content, f"file-{syntax.name}", name)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["number"] == f"FILE-{syntax.name[:3]}"
    assert body["syntax"] == syntax.value
    assert body["service_code"] == "SERV-FINANCES"
    assert body["engagement_number"] == "EJ1300458721"
    assert body["total_with_vat"] == "1603.80"
    async with sessionmaker() as session:
        stored = await session.get(InvoiceFile, uuid.UUID(body["id"]))
        assert stored is not None and stored.content == content


async def test_multipart_upload(client: httpx.AsyncClient) -> None:
    content = rendered(Syntax.UBL_INVOICE, number="MULTI-1")
    response = await client.post(
        "/v1/invoices",
        files={"file": ("ubl.xml", content, "application/xml")},
        headers={"Idempotency-Key": "multi-1"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["syntax"] == "IN_DP_E1_UBL_INVOICE"


async def test_a_file_is_checked_like_json(client: httpx.AsyncClient) -> None:
    content = rendered(Syntax.CII_D16B, number="FUTURE-1", issue_date="2999-01-01", due_date=None)
    response = await post_file(client, content, "future-1")
    assert response.status_code == 422
    assert "CPP-DATE-01" in {e["code"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    "content",
    [b"not xml at all", b"<?xml version='1.0'?><nothing/>", b"%PDF-1.4 broken"],
)
async def test_unreadable_file_is_a_422_naming_the_file(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await post_file(client, content, f"bad-{hash(content)}")
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_bad_base64_and_missing_part_are_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/invoices",
        json={"file": {"content": "***"}},
        headers={"Idempotency-Key": "b64"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file.content"
    response = await client.post(
        "/v1/invoices",
        files={"other": ("x.xml", b"<x/>", "application/xml")},
        headers={"Idempotency-Key": "nopart"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


async def test_the_erps_own_pdf_is_the_visible_part_of_its_factur_x(
    client: httpx.AsyncClient,
) -> None:
    import io

    from pypdf import PdfReader
    from reportlab.pdfgen.canvas import Canvas

    from app.formats import render_document
    from app.formats.parse import parse_invoice_file

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "ERP OWN LAYOUT")
    canvas.save()
    body = invoice(number="OWN-PDF-1", syntax="IN_DP_E2_CII_FACTURX")
    body["visual_pdf"] = base64.b64encode(buffer.getvalue()).decode()
    document = InvoiceDocument.model_validate(body)
    factur_x = render_document(document, Syntax.FACTURX).content
    assert parse_invoice_file(factur_x).document.number == "OWN-PDF-1"
    assert "ERP OWN LAYOUT" in PdfReader(io.BytesIO(factur_x)).pages[0].extract_text()
    response = await post(client, body, "own-pdf-1")
    assert response.status_code == 202, response.text
    refused = invoice(number="OWN-PDF-2")
    refused["visual_pdf"] = base64.b64encode(b"not a pdf").decode()
    bad = await post(client, refused, "own-pdf-2")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "visual_pdf"
