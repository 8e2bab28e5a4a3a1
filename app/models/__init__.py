"""Every table, imported here so that Alembic sees the whole metadata."""

from app.models.api_key import ApiKey
from app.models.directory import CachedService, CachedStructure
from app.models.invoice import Invoice, InvoiceEvent, InvoiceFile, SubmissionAttempt
from app.models.outbox import OutboxMessage
from app.models.supplier import Supplier
from app.models.sync import StatusSyncCursor
from app.models.webhook import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointChange,
    WebhookMessage,
)

__all__ = [
    "ApiKey",
    "CachedService",
    "CachedStructure",
    "Invoice",
    "InvoiceEvent",
    "InvoiceFile",
    "OutboxMessage",
    "StatusSyncCursor",
    "SubmissionAttempt",
    "Supplier",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEndpointChange",
    "WebhookMessage",
]
