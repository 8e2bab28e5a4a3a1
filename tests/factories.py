"""What tests build their invoices from: the README's example, changed field by field.

One place for the bodies an ERP would post and the documents the checks read, so that test
modules never import helpers from each other.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from app.document import InvoiceDocument

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "examples" / "invoice.json").read_text()
)
SUPPLIER = "81234567600017"
# Recipients whose outcome the simulator decides (docs/simulator.md).
PAYS = "21330063500025"
REJECTS = "21750001600019"
SUSPENDS = "21690123100011"
RECYCLES = "21130055300016"
NO_PAYMENT_STATUS = "21310555400017"
_UNSET: Any = object()


def invoice_body(
    *,
    number: str | None = None,
    recipient: str | None = None,
    service: str | None = _UNSET,
    engagement: str | None = _UNSET,
    **changes: Any,
) -> dict[str, Any]:
    """The example invoice as JSON; `service` and `engagement` may be set to None."""
    body = copy.deepcopy(EXAMPLE)
    if number is not None:
        body["number"] = number
    if recipient is not None:
        body["recipient"]["siret"] = recipient
    if service is not _UNSET:
        body["service_code"] = service
    if engagement is not _UNSET:
        body["engagement_number"] = engagement
    body.update(changes)
    return body


def invoice_document(**changes: Any) -> InvoiceDocument:
    """`invoice_body(**changes)` as the model the checks and formats read."""
    return InvoiceDocument.model_validate(invoice_body(**changes))


async def post_invoice(client: httpx.AsyncClient, body: dict[str, Any], key: str) -> httpx.Response:
    return await client.post("/v1/invoices", json=body, headers={"Idempotency-Key": key})
