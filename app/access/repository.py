"""SQL of API keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.kit.repository import Repository
from app.models.api_key import ApiKey


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey

    async def by_prefix(self, prefix: str) -> ApiKey | None:
        return await self.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))

    async def all(self) -> Sequence[ApiKey]:
        return (await self.session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all()
