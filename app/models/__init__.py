"""Every table, imported here so that Alembic sees the whole metadata."""

from app.models.directory import CachedService, CachedStructure
from app.models.invoice import Invoice, InvoiceEvent, InvoiceFile, SubmissionAttempt
from app.models.outbox import OutboxMessage
from app.models.supplier import SupplierSettings
from app.models.sync import StatusSyncCursor
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage

__all__ = [
    "CachedService",
    "CachedStructure",
    "Invoice",
    "InvoiceEvent",
    "InvoiceFile",
    "OutboxMessage",
    "StatusSyncCursor",
    "SubmissionAttempt",
    "SupplierSettings",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
]
