"""Standard Webhooks v1 signing, with the reference `standardwebhooks` library."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from app.core.ids import uuid7

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """`msg_` + a time-ordered id without dots (the signed content is joined by dots)."""
    return "msg_" + uuid7().hex


def signature_headers(secret: str, message_id: str, at: datetime, payload: str) -> dict[str, str]:
    """The three headers of one attempt; the timestamp is the attempt's, the id the message's."""
    signature = Webhook(secret).sign(message_id, at, payload)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
