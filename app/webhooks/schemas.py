"""The webhook API's request and response bodies (secrets appear only in `...Created`)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from app.webhooks.events import EventType
from app.webhooks.states import AttemptTrigger, DeliveryStatus, DisabledReason, EndpointAction

MAX_URL_LENGTH = 2000  # webhook_endpoints.url


def _fits_the_column(url: AnyHttpUrl) -> AnyHttpUrl:
    """Measured as stored, after normalisation (which may percent-encode and add a slash)."""
    if len(str(url)) > MAX_URL_LENGTH:
        raise ValueError(f"at most {MAX_URL_LENGTH} characters")
    return url


EndpointUrl = Annotated[AnyHttpUrl, AfterValidator(_fits_the_column)]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: EndpointUrl = Field(description="Where to POST; HTTPS in production, public addresses.")
    supplier_siret: str | None = Field(
        default=None,
        pattern=r"^\d{14}$",
        description="Receive this supplier's events only. Default: the API key's supplier "
        "when it acts for one; none (every supplier's events) needs an unrestricted key.",
    )
    description: str | None = Field(default=None, max_length=500)
    event_types: list[EventType] = Field(
        default_factory=list,
        description="Event types to receive; empty means every type.",
        examples=[["invoice.rejected", "invoice.paid"]],
    )


class WebhookEndpointUpdate(BaseModel):
    """Only the fields present change; `description: null` clears it."""

    model_config = ConfigDict(extra="forbid")

    url: EndpointUrl | None = None
    description: str | None = Field(default=None, max_length=500)
    event_types: list[EventType] | None = None


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    supplier_siret: str | None = Field(description="Whose events it receives; null: everyone's.")
    description: str | None
    event_types: list[str]
    disabled_at: datetime | None
    disabled_reason: DisabledReason | None = Field(
        description="`manual` (disable call), `failing` (every attempt failed for the "
        "disable period), `gone` (the endpoint answered 410)."
    )
    first_failure_at: datetime | None = Field(
        description="Since when every attempt has failed; cleared by any success."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation, until when the previous secret still signs."
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="Signing secret (whsec_...). Shown once, here only.")


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointRead]


class WebhookEndpointChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: EndpointAction
    actor_id: uuid.UUID | None = Field(description="The API key that asked; null: the gateway.")
    actor: str | None = Field(description="That key's name, as it was then.")
    details: dict[str, Any] | None
    at: datetime


class WebhookEndpointChangeList(BaseModel):
    data: list[WebhookEndpointChangeRead]


class WebhookAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    attempt_number: int
    trigger: AttemptTrigger
    url: str
    status_code: int | None
    error: str | None
    response_snippet: str | None = Field(description="The first 20 KB of the answer.")
    duration_ms: int
    created_at: datetime


class WebhookAttemptList(BaseModel):
    data: list[WebhookAttemptRead]


class WebhookDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    message_id: str
    endpoint_id: uuid.UUID
    status: DeliveryStatus
    attempt_count: int = Field(description="Automatic attempts made so far.")
    next_attempt_at: datetime | None = Field(description="Next automatic attempt, if pending.")
    manual_attempt_at: datetime | None = Field(description="A requested resend, not yet made.")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class WebhookDeliveryList(BaseModel):
    data: list[WebhookDeliveryRead]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")


class WebhookMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The `webhook-id` header of every attempt of this message.")
    event_type: str
    invoice_id: uuid.UUID | None
    supplier_siret: str | None
    created_at: datetime
    payload: dict[str, Any] = Field(description="The body as sent (signed bytes, parsed).")

    @field_validator("payload", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class WebhookMessageDetail(WebhookMessageRead):
    deliveries: list[WebhookDeliveryRead]


class WebhookMessageList(BaseModel):
    data: list[WebhookMessageRead]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")


class WebhookRecoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(description="Deliveries created at or after this time.")
    until: AwareDatetime | None = Field(
        default=None, description="Deliveries created before this time; default: now."
    )


class WebhookRecoverAccepted(BaseModel):
    endpoint_id: uuid.UUID
    since: datetime
    until: datetime
