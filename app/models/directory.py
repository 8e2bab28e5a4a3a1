"""Cache of the Chorus Pro directory: one row per SIRET looked up, and its services.

A SIRET Chorus does not know is cached too (`match_count = 0`), so an ERP that keeps asking
about it does not keep calling Chorus.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.ids import uuid7
from app.kit.time import utcnow


class CachedStructure(Base):
    __tablename__ = "directory_structures"
    __table_args__ = (Index("ix_directory_structures_expires_at", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    # How many structures rechercherStructure returned, and how many of them were ACTIVE.
    match_count: Mapped[int]
    active_count: Mapped[int]
    # The structure used: the only active one, else the first one returned.
    id_structure_cpp: Mapped[int | None] = mapped_column(BigInteger)
    designation: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str | None] = mapped_column(String(30))
    # consulterStructure was called (only for a SIRET with exactly one active structure).
    details_known: Mapped[bool]
    service_code_required: Mapped[bool]
    engagement_required: Mapped[bool]
    engagement_or_service_required: Mapped[bool]
    payment_status_not_reported: Mapped[bool]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Only entries used since their last fetch are refreshed in the background.
    last_used_at: Mapped[datetime | None]
    refresh_claimed_at: Mapped[datetime | None]


class CachedService(Base):
    """A service of a cached structure; `engagement_required` is None until consulted."""

    __tablename__ = "directory_services"
    __table_args__ = (
        UniqueConstraint("structure_id", "id_service"),
        Index("ix_directory_services_structure_id_code", "structure_id", "code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    structure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directory_structures.id", ondelete="CASCADE")
    )
    id_service: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool]
    engagement_required: Mapped[bool | None]
    engagement_checked_at: Mapped[datetime | None]
