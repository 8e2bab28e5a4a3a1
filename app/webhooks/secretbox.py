"""Endpoint secrets encrypted at rest (Fernet), so a database dump cannot forge webhooks."""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.config import Settings

logger = logging.getLogger(__name__)

# Development only: a fixed, public key, so that `make run` works without configuration.
# Production refuses to start without GATEWAY_WEBHOOK_SECRETS_KEY (app/config.py).
_DEV_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"chorus-gateway development webhook secrets key").digest()
)
_warned = False


class SecretDecryptionError(Exception):
    """The stored secret was encrypted with a key that is no longer configured."""


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        global _warned
        if settings.webhook_secrets_key is None:
            if not _warned:
                _warned = True
                logger.warning(
                    "GATEWAY_WEBHOOK_SECRETS_KEY is not set: webhook secrets are encrypted "
                    "with the public development key"
                )
            return cls([_DEV_KEY])
        raw = settings.webhook_secrets_key.get_secret_value()
        return cls([key.strip().encode() for key in raw.split(",") if key.strip()])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretDecryptionError("no configured key decrypts this secret") from exc
