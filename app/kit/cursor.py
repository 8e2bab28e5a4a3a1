"""Opaque keyset cursors for lists ordered newest first on (created_at, id)."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from app.kit.errors import AppError, FieldError

CURSOR_FIELD = "query:cursor"


class InvalidCursor(AppError):
    slug = "invalid-cursor"
    title = "The cursor is not valid"


class Keyed(Protocol):
    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> object: ...


RowT = TypeVar("RowT", bound=Keyed)
IdT = TypeVar("IdT")


def encode_cursor(created_at: datetime, row_id: object) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str, parse_id: Callable[[str], IdT]) -> tuple[datetime, IdT]:
    """The (created_at, id) a cursor stands for; 400 naming `cursor` when it is not one."""
    try:
        created_at, row_id = base64.urlsafe_b64decode(cursor).decode().split("|")
        return datetime.fromisoformat(created_at), parse_id(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(errors=[FieldError(field=CURSOR_FIELD, message=str(exc))]) from exc


def decode_uuid_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    return decode_cursor(cursor, uuid.UUID)


def page_of(rows: Sequence[RowT], limit: int) -> tuple[Sequence[RowT], str | None]:
    """`rows` were read with `limit + 1`: the page, and the cursor of the next one if any."""
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(page[-1].created_at, page[-1].id)
