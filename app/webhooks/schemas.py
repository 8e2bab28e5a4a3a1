from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

EventType = str


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    description: str | None = Field(default=None, max_length=500)
    event_types: list[EventType] = Field(
        default_factory=list,
        description="Event types to receive; empty means every type.",
        examples=[["invoice.rejected", "invoice.paid"]],
    )


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    disabled_at: datetime | None
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="Signing secret (whsec_...). Shown once, at creation.")


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointRead]
