"""One id scheme for every row and token: time-ordered UUIDv7 (RFC 9562), index-friendly."""

from __future__ import annotations

import uuid

from uuid_utils import compat


def uuid7() -> uuid.UUID:
    """A standard-library UUID of version 7: 48 bits of Unix milliseconds, then random bits."""
    return compat.uuid7()
