"""Opaque cursors: what one page hands out, the next one reads back; anything else is a 400."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.kit.cursor import (
    InvalidCursor,
    decode_cursor,
    decode_uuid_cursor,
    encode_cursor,
    page_of,
)

AT = datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    created_at: datetime
    id: uuid.UUID


def test_round_trip() -> None:
    row_id = uuid.uuid4()
    assert decode_uuid_cursor(encode_cursor(AT, row_id)) == (AT, row_id)
    assert decode_cursor(encode_cursor(AT, "msg_1"), str) == (AT, "msg_1")


@pytest.mark.parametrize("cursor", ["nope", "", "!!!", encode_cursor(AT, "not-a-uuid")])
def test_a_bad_cursor_is_a_400_naming_the_field(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_uuid_cursor(cursor)
    assert raised.value.status == 400
    assert [e.field for e in raised.value.errors or []] == ["query:cursor"]


def test_page_of_gives_the_next_cursor_only_when_more_rows_exist() -> None:
    rows = [Row(AT, uuid.uuid4()) for _ in range(3)]
    page, cursor = page_of(rows, 2)
    assert list(page) == rows[:2]
    assert cursor is not None and decode_uuid_cursor(cursor) == (AT, rows[1].id)
    assert page_of(rows, 3) == (rows, None)
