"""Webhook errors, each with its HTTP status (RFC 9457 problem details)."""

from __future__ import annotations

from app.kit.errors import Conflict, FieldError, NotFound, Unprocessable


class EndpointNotFound(NotFound):
    slug = "webhook-endpoint-not-found"
    title = "Webhook endpoint not found"


class MessageNotFound(NotFound):
    slug = "webhook-message-not-found"
    title = "Webhook message not found"


class DeliveryNotFound(NotFound):
    slug = "webhook-delivery-not-found"
    title = "Webhook delivery not found"


class EndpointDisabled(Conflict):
    slug = "webhook-endpoint-disabled"
    title = "The webhook endpoint is disabled; enable it first"


class NotThisEndpointsMessage(Conflict):
    slug = "webhook-message-not-for-endpoint"
    title = "The endpoint does not take this message (another supplier or event type)"


class InvalidWindow(Unprocessable):
    slug = "invalid-window"
    title = "The time window is not valid"


class UrlRefused(Unprocessable):
    """The URL guard refused the URL; the problem names the `url` field."""

    slug = "webhook-url-refused"
    title = "The webhook URL is refused"

    def __init__(self, reason: str) -> None:
        super().__init__(
            reason, errors=[FieldError(field="url", message=reason, code="url_refused")]
        )


class SupplierRequired(Unprocessable):
    slug = "supplier-required"
    title = "Name the supplier whose events the endpoint receives"


class UnknownSupplier(Unprocessable):
    slug = "unknown-supplier"
    title = "No such supplier in this gateway"
