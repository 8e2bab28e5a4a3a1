"""What is deposited: the ERP's own file byte for byte, else the file the gateway generates."""

from __future__ import annotations

import uuid

from app.formats import Syntax, render_document
from app.kit.time import utcnow
from app.submission.attempts import DepositClaim, Mode
from app.submission.deposit import file_to_deposit
from tests.factories import SUPPLIER, invoice_body, invoice_document


def claim(**changes: object) -> DepositClaim:
    fields: dict[str, object] = {
        "invoice_id": uuid.uuid4(),
        "lease_token": uuid.uuid4(),
        "mode": Mode.DEPOSIT,
        "attempt_id": uuid.uuid4(),
        "attempt_number": 1,
        "attempt_started_at": utcnow(),
        "number": "FA-2026-00042",
        "supplier_siret": SUPPLIER,
        "syntax": Syntax.UBL_INVOICE.value,
        "document": invoice_body(),
    }
    return DepositClaim(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_original_file_is_deposited_byte_for_byte() -> None:
    generated = render_document(invoice_document(), Syntax.UBL_INVOICE).content
    original = generated + b"\n<!-- the ERP's own bytes -->\n"
    assert file_to_deposit(claim(original_content=original, original_file_name="mine.xml")) == (
        original,
        "mine.xml",
    )


def test_without_a_file_the_document_is_rendered_in_the_invoice_syntax() -> None:
    content, file_name = file_to_deposit(claim())
    assert content == render_document(invoice_document(), Syntax.UBL_INVOICE).content
    assert file_name.endswith(".xml")
