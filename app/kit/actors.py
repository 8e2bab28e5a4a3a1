"""Who asks: the API key (its id and name, recorded with each change), and the suppliers it
acts for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID | None
    name: str


SYSTEM = Actor(None, "gateway")


Suppliers = frozenset[str] | None
"""The suppliers a caller acts for; None: every supplier. What belongs to others is not
found; what belongs to no supplier (None) is seen by unrestricted callers only."""


def sees(suppliers: Suppliers, siret: str | None) -> bool:
    if suppliers is None:
        return True
    return siret is not None and siret in suppliers
