"""What is deposited: the ERP's own file byte for byte, else the file the gateway generates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import cast

import pytest

from app.chorus import ChorusAuthError, ChorusClient
from app.chorus.errors import TOKEN_OPERATION
from app.formats import Syntax, render_document
from app.kit.time import utcnow
from app.submission.attempts import AttemptOutcome, DepositClaim, Mode
from app.submission.deposit import deposit, file_to_deposit, look_up
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


class RefusingChorus:
    """Answers every deposit and search with the PISTE refusal it was given."""

    def __init__(self, error: ChorusAuthError) -> None:
        self.error = error

    async def deposit_flux(self, content: bytes, file_name: str, syntax: str) -> None:
        raise self.error

    def search_supplier_invoices(self, **criteria: object) -> AsyncIterator[object]:
        raise self.error


REFUSALS = [
    pytest.param(ChorusAuthError("refused", operation="deposerFluxFacture", http_status=401), True),
    pytest.param(ChorusAuthError("bad client", operation=TOKEN_OPERATION, http_status=400), True),
    pytest.param(
        ChorusAuthError("not subscribed", operation="deposerFluxFacture", http_status=403), False
    ),
]


@pytest.mark.parametrize(("error", "refused"), REFUSALS)
async def test_only_refused_credentials_mark_the_supplier(
    error: ChorusAuthError, refused: bool
) -> None:
    chorus = cast(ChorusClient, RefusingChorus(error))
    for result in (await deposit(chorus, claim()), await look_up(chorus, claim(mode=Mode.LOOK_UP))):
        assert result.outcome is AttemptOutcome.RETRY  # nothing reached Chorus Pro
        assert result.http_status == error.http_status
        assert result.credentials_refused is refused
