"""The event catalogue: every published type has a schema file, and payloads fit it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from app.invoices.history import event_data
from app.invoices.lifecycle import InvoiceStatus, event_type
from app.kit.time import utcnow
from app.models.invoice import Invoice
from app.webhooks.events import EventType, all_schemas, check_payload, render_schema

SCHEMAS = Path(__file__).parents[2] / "openapi" / "webhooks"


def test_published_schemas_match_the_models() -> None:
    generated = all_schemas()
    committed = {path.name for path in SCHEMAS.glob("*.json")}
    assert committed == set(generated), "openapi/webhooks drifted: run `make webhook-schemas`"
    for name, schema in generated.items():
        text = (SCHEMAS / name).read_text(encoding="utf-8")
        assert text == render_schema(schema), f"{name} drifted: run `make webhook-schemas`"
        assert json.loads(text)["properties"]["type"]["const"] == name.removesuffix(".json")


def test_every_status_the_lifecycle_announces_is_a_known_event_type() -> None:
    known = {member.value for member in EventType}
    for status in InvoiceStatus:
        for chorus_status in (None, "SUSPENDUE", "A_RECYCLER"):
            assert event_type(status, chorus_status) in known, (status, chorus_status)


def test_the_payload_history_builds_fits_the_published_schema() -> None:
    invoice = Invoice(
        id=uuid.uuid4(),
        number="FA-2026-00042",
        supplier_siret="35600000000048",
        recipient_siret="21750001600019",
        status="rejected",
        chorus_status="REJETEE",
        flux_number="CPP0010000000001",
        chorus_invoice_id=123,
        status_comment="Engagement inconnu",
        version=4,
        updated_at=utcnow(),
    )
    envelope = {
        "type": "invoice.rejected",
        "timestamp": utcnow().isoformat(),
        "data": event_data(invoice),
    }
    assert check_payload("invoice.rejected", envelope) is None
    assert check_payload("invoice.paid", envelope) is not None  # type and status disagree
    assert check_payload("invoice.unknown", envelope) == "unknown event type 'invoice.unknown'"
