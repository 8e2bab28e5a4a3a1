"""Secrets encrypted at rest (Fernet): webhook signing secrets, Chorus Pro credentials.

A database dump then neither forges webhooks nor deposits on Chorus Pro. Several keys may
be configured: the first encrypts, all decrypt, and `rotate` re-encrypts with the first.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

logger = logging.getLogger(__name__)

# Development only: a fixed, public key, so that `make run` works without configuration.
# Production refuses to start without GATEWAY_SECRETS_KEY (app/config.py).
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
    def from_keys(cls, keys: SecretStr | None) -> SecretBox:
        """Comma-separated Fernet keys; None: the public development key (with a warning)."""
        global _warned
        if keys is None:
            if not _warned:
                _warned = True
                logger.warning(
                    "GATEWAY_SECRETS_KEY is not set: secrets are encrypted with the public "
                    "development key"
                )
            return cls([_DEV_KEY])
        raw = keys.get_secret_value()
        return cls([key.strip().encode() for key in raw.split(",") if key.strip()])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def rotate(self, token: str) -> str:
        """The same secret, encrypted again with the first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretDecryptionError("no configured key decrypts this secret") from exc

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretDecryptionError("no configured key decrypts this secret") from exc
