"""Standard Webhooks v1 signing, with the reference `standardwebhooks` library."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from app.kit.ids import uuid7

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes (not the text)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """`msg_` + a time-ordered id without dots (the signed content is joined by dots)."""
    return "msg_" + uuid7().hex


def sign(secret: str, message_id: str, timestamp: int, payload: str) -> str:
    """`v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), key = decoded secret."""
    at = datetime.fromtimestamp(timestamp, UTC)  # the library wants an aware UTC datetime
    return str(Webhook(secret).sign(message_id, at, payload))


def signature_headers(
    secrets_: Sequence[str], message_id: str, at: datetime, payload: str
) -> dict[str, str]:
    """The three headers of one attempt, signed with every valid secret (rotation overlap).

    The timestamp is the attempt's; the id is the message's, the same on every retry.
    """
    timestamp = int(at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, payload) for s in secrets_),
    }
