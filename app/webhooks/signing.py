"""Standard Webhooks v1 signing (HMAC-SHA256); the `standardwebhooks` package is the test oracle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from app.core.ids import uuid7

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes (not the text)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """`msg_` + a time-ordered id without dots (the signed content is joined by dots)."""
    return "msg_" + uuid7().hex


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: str, message_id: str, timestamp: int, payload: str) -> str:
    """`v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))."""
    content = f"{message_id}.{timestamp}.{payload}".encode()
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


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
