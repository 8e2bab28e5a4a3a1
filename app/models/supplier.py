"""The suppliers this gateway invoices for, each with its own Chorus Pro credentials.

Secrets (the PISTE client secret, the technical account's password) are stored encrypted
(`kit.secretbox`) and never read back through the API or the CLI. A supplier may instead
use the credentials of the environment (`credentials_from_environment`): the one-entity
setup, or several entities of a group attached to one technical account.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.db import Base
from app.kit.time import utcnow


class Supplier(Base):
    __tablename__ = "suppliers"

    siret: Mapped[str] = mapped_column(String(14), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_syntax: Mapped[str] = mapped_column(String(40))
    environment: Mapped[str] = mapped_column(String(20))  # qualification | production
    credentials_from_environment: Mapped[bool] = mapped_column(
        default=False, server_default=text("false")
    )
    piste_client_id: Mapped[str | None] = mapped_column(String(200))
    piste_client_secret_enc: Mapped[str | None] = mapped_column(Text)
    technical_login: Mapped[str | None] = mapped_column(String(200))
    technical_password_enc: Mapped[str | None] = mapped_column(Text)
    # When the technical password expires (Chorus Pro rotates it every 424 days): read from
    # Chorus Pro (consulterStructure) or recorded by an operator.
    password_expires_on: Mapped[date | None]
    password_expiry_source: Mapped[str | None] = mapped_column(String(20))  # chorus | operator
    expiry_notified_for: Mapped[date | None]  # the expiry date already announced
    credentials_rejected_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
