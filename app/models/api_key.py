"""API keys: who may call the gateway, for what (scopes) and for which suppliers.

Only a hash of each key is stored, beside a short visible prefix that finds it; the key
itself is shown once, when it is made.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.ids import uuid7
from app.kit.time import utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    # The suppliers it may act for; None: every supplier.
    supplier_sirets: Mapped[list[str] | None] = mapped_column(ARRAY(String(14)))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
