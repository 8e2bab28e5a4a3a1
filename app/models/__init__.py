"""Every table, imported here so that Alembic sees the whole metadata."""

from app.models.invoice import Invoice, InvoiceEvent, SubmissionAttempt
from app.models.outbox import OutboxMessage
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage

__all__ = [
    "Invoice",
    "InvoiceEvent",
    "OutboxMessage",
    "SubmissionAttempt",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
]
