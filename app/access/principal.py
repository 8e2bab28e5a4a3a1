"""The caller of a request, as its API key makes it: scopes and the suppliers it acts for."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.kit.actors import Actor, sees


class Scope(StrEnum):
    INVOICES_WRITE = "invoices:write"  # post, replace, complete, recycle invoices
    INVOICES_READ = "invoices:read"  # read invoices, their statuses, the directory
    WEBHOOKS_MANAGE = "webhooks:manage"  # endpoints, messages, resends, recoveries
    SUPPLIERS_MANAGE = "suppliers:manage"  # suppliers, their settings and credentials
    ADMIN = "admin"  # everything, API keys included


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    name: str
    scopes: frozenset[Scope]
    suppliers: frozenset[str] | None  # None: every supplier

    def has(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    def may_act_for(self, siret: str | None) -> bool:
        """A restricted key acts only for its suppliers, never for all of them (None)."""
        return sees(self.suppliers, siret)

    def visible(self, sirets: Iterable[str | None]) -> bool:
        return all(self.may_act_for(siret) for siret in sirets)

    @property
    def actor(self) -> Actor:
        return Actor(self.key_id, self.name)
