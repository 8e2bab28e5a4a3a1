"""API key material: random, shown once, stored as a SHA-256 hash beside a visible prefix.

A key carries 256 random bits, so a fast hash is enough (no password stretching: it is
not guessable), and the prefix finds the row without scanning.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_MARK = "cgk_"
PREFIX_LENGTH = 12  # the mark and eight random characters: shown in lists and logs


def new_key() -> str:
    return KEY_MARK + secrets.token_urlsafe(32)


def prefix_of(key: str) -> str:
    return key[:PREFIX_LENGTH]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), key_hash)


def looks_like_a_key(value: str) -> bool:
    return value.startswith(KEY_MARK) and len(value) > PREFIX_LENGTH
