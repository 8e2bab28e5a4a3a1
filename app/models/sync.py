"""Where the status sync of each supplier stands: its Chorus structure id and its watermark."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.time import utcnow


class StatusSyncCursor(Base):
    """One row per supplier SIRET with invoices on Chorus Pro.

    `watermark` is an instant on Chorus Pro's clock: every status change before it has been
    stored. It only moves forward once a cycle's changes are committed, and moves back when
    an invoice joins the sync with an older status, so no change is ever skipped.
    """

    __tablename__ = "status_sync_cursors"
    __table_args__ = (
        Index(
            "ix_status_sync_cursors_next_sync_at",
            "next_sync_at",
            postgresql_where=text("next_sync_at IS NOT NULL"),
        ),
    )

    supplier_siret: Mapped[str] = mapped_column(String(14), primary_key=True)
    # idStructureCPP of the supplier (rechercherStructure), None while unknown.
    supplier_structure_id: Mapped[int | None] = mapped_column(BigInteger)
    structure_checked_at: Mapped[datetime | None]
    watermark: Mapped[datetime | None]
    next_sync_at: Mapped[datetime | None]
    lease_token: Mapped[uuid.UUID | None]
    lease_expires_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
