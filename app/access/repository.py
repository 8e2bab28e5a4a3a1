"""SQL of API keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, select

from app.kit.repository import Repository
from app.models.api_key import ApiKey

_KEYS = cast(Table, ApiKey.__table__)
KEY_COLUMNS = ("id", "name", "key_hash", "scopes", "supplier_sirets", "revoked_at")
_BY_PREFIX = (
    f"SELECT {', '.join(_KEYS.c[name].name for name in KEY_COLUMNS)} "
    f"FROM {_KEYS.name} WHERE prefix = $1"
)
"""The look-up of every request whose key is not remembered: SQL text made once."""


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey

    async def by_prefix(self, prefix: str) -> Row[Any] | None:
        """The key's row (KEY_COLUMNS), read outside any transaction when the session has
        none: the request goes on without one (it may call Chorus Pro next)."""
        async with self.reading() as connection:
            return (await connection.exec_driver_sql(_BY_PREFIX, (prefix,))).first()

    async def all(self) -> Sequence[ApiKey]:
        return (await self.session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all()
