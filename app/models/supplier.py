"""Per-supplier settings, keyed by the supplier's SIRET."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.time import utcnow


class SupplierSettings(Base):
    __tablename__ = "supplier_settings"

    siret: Mapped[str] = mapped_column(String(14), primary_key=True)
    default_syntax: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
