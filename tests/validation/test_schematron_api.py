"""/v1/invoices/validate runs the bundled official artefacts on the bytes it would deposit."""

from __future__ import annotations

import base64
import re

import httpx

from app.document import InvoiceDocument
from app.formats import Syntax, render

from .conftest import payload


def _ubl_file(content: bytes) -> dict[str, dict[str, str]]:
    return {"file": {"content": base64.b64encode(content).decode(), "file_name": "f.xml"}}


async def test_a_valid_invoice_passes_the_official_rules(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/invoices/validate", json=payload())
    assert response.status_code == 200, response.text
    ubl = render(InvoiceDocument.model_validate(payload()), Syntax.UBL_INVOICE).content
    response = await client.post("/v1/invoices/validate", json=_ubl_file(ubl))
    assert response.status_code == 200, response.text


async def test_a_file_is_checked_as_it_is_not_as_we_read_it(client: httpx.AsyncClient) -> None:
    """A line net amount altered in the file: our reading recomputes it, the file keeps it."""
    ubl = render(InvoiceDocument.model_validate(payload()), Syntax.UBL_INVOICE).content
    line = re.search(rb"<cac:InvoiceLine>.*?</cac:InvoiceLine>", ubl, re.S)
    assert line is not None
    part = line.group(0)
    altered = re.sub(
        rb'(<cbc:LineExtensionAmount currencyID="EUR">)[^<]*<',
        rb"\g<1>1.00<",
        part,
        count=1,
    )
    assert altered != part
    response = await client.post(
        "/v1/invoices/validate", json=_ubl_file(ubl.replace(part, altered))
    )
    assert response.status_code == 422, response.text
    codes = {error["code"] for error in response.json()["errors"]}
    assert "BR-CO-10" in codes, codes
