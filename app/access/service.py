"""Making, revoking and recognising API keys.

A process remembers a recognised key for `REMEMBER` seconds, so that a request does not
cost a query; a revoked key is refused everywhere within that time (at once where revoked,
once the revocation has committed). An unknown prefix is remembered for `REMEMBER_MISS`
seconds, so that a flood of made-up keys costs one query per prefix, not one per request;
at most `MAX_MISSES` of them, so that the flood cannot grow the process without bound.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.keys import hash_key, looks_like_a_key, matches, new_key, prefix_of
from app.access.principal import Principal, Scope
from app.access.repository import ApiKeyRepository
from app.kit.actors import Suppliers
from app.kit.db import AfterCommit, after_commit
from app.kit.errors import FieldError, NotFound, SupplierNotAllowed, Unprocessable
from app.kit.ids import uuid7
from app.kit.time import utcnow
from app.models.api_key import ApiKey

REMEMBER = 10.0
REMEMBER_MISS = 2.0
MAX_MISSES = 10_000


class ApiKeyNotFound(NotFound):
    slug = "api-key-not-found"
    title = "No such API key"


@dataclass
class _Remembered:
    key_hash: str
    principal: Principal | None
    until: float


def _within(sirets: Sequence[str] | None, suppliers: Suppliers) -> bool:
    """Does a key for `sirets` (None: all) act only for suppliers in `suppliers`?"""
    if suppliers is None:
        return True
    return sirets is not None and set(sirets) <= suppliers


class _KeyFields(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def scopes(self) -> Sequence[str]: ...
    @property
    def supplier_sirets(self) -> Sequence[str] | None: ...


def principal_of(key: _KeyFields) -> Principal:
    return Principal(
        key_id=key.id,
        name=key.name,
        scopes=frozenset(Scope(s) for s in key.scopes),
        suppliers=frozenset(key.supplier_sirets) if key.supplier_sirets is not None else None,
    )


class ApiKeyService:
    def __init__(self) -> None:
        self._remembered: dict[str, _Remembered] = {}
        self._misses: dict[str, float] = {}  # unknown prefix -> remembered until

    async def create(
        self,
        session: AsyncSession,
        name: str,
        scopes: Sequence[Scope],
        supplier_sirets: Sequence[str] | None = None,
        *,
        creator: Suppliers = None,
    ) -> tuple[ApiKey, str]:
        """The key row and the key itself, which only this call ever returns.

        A key restricted to some suppliers makes keys for some of them only.
        """
        if not _within(supplier_sirets, creator):
            raise SupplierNotAllowed(
                errors=[
                    FieldError(
                        field="supplier_sirets",
                        message="name only suppliers your own API key acts for",
                    )
                ]
            )
        if supplier_sirets is not None:
            bad = [s for s in supplier_sirets if not (len(s) == 14 and s.isdigit())]
            if bad or not supplier_sirets:
                raise Unprocessable(
                    errors=[FieldError(field="supplier_sirets", message="give 14-digit SIRETs")]
                )
        token = new_key()
        key = ApiKey(
            id=uuid7(),
            name=name,
            prefix=prefix_of(token),
            key_hash=hash_key(token),
            scopes=sorted({Scope(s).value for s in scopes}),
            supplier_sirets=sorted(set(supplier_sirets)) if supplier_sirets is not None else None,
            created_at=utcnow(),
        )
        ApiKeyRepository(session).add(key)
        await session.flush()
        after_commit(session, self._forgetter(key.prefix))
        return key, token

    async def list(self, session: AsyncSession, viewer: Suppliers = None) -> Sequence[ApiKey]:
        keys = await ApiKeyRepository(session).all()
        return [k for k in keys if _within(k.supplier_sirets, viewer)]

    async def revoke(
        self, session: AsyncSession, key_id: uuid.UUID, viewer: Suppliers = None
    ) -> ApiKey:
        key = await ApiKeyRepository(session).get_for_update(key_id)
        if key is None or not _within(key.supplier_sirets, viewer):
            raise ApiKeyNotFound(f"no API key {key_id}")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
        await session.flush()
        # Forgotten once the revocation is committed: forgotten before, a request in
        # between would read the key still valid and remember it for REMEMBER seconds.
        after_commit(session, self._forgetter(key.prefix))
        return key

    def _forgetter(self, prefix: str) -> AfterCommit:
        async def forget() -> None:
            self._remembered.pop(prefix, None)
            self._misses.pop(prefix, None)

        return forget

    async def authenticate(self, session: AsyncSession, token: str) -> Principal | None:
        """The key's principal, or None for an unknown, wrong or revoked key."""
        if not looks_like_a_key(token):
            return None
        prefix = prefix_of(token)
        now = time.monotonic()
        remembered = self._remembered.get(prefix)
        if remembered is None or remembered.until <= now:
            if self._misses.get(prefix, 0.0) > now:
                return None
            key = await ApiKeyRepository(session).by_prefix(prefix)
            if key is None:
                self._remember_miss(prefix, now)
                return None
            principal = principal_of(key) if key.revoked_at is None else None
            remembered = _Remembered(key.key_hash, principal, now + REMEMBER)
            self._remembered[prefix] = remembered
        if not matches(token, remembered.key_hash):
            return None
        return remembered.principal

    def _remember_miss(self, prefix: str, now: float) -> None:
        if len(self._misses) >= MAX_MISSES:
            self._misses = {p: until for p, until in self._misses.items() if until > now}
            if len(self._misses) >= MAX_MISSES:
                self._misses.clear()
        self._misses[prefix] = now + REMEMBER_MISS


api_key_service = ApiKeyService()
