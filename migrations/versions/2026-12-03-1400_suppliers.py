"""suppliers: every supplier the gateway invoices for, with its own Chorus Pro credentials

Revision ID: c8_suppliers
Revises: c7_has_original_file
Create Date: 2026-12-03 14:00:00+00:00

The settings of the suppliers known so far (their default syntax) are kept: they used the
environment's credentials, and still do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c8_suppliers"
down_revision: str | None = "c7_has_original_file"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("default_syntax", sa.String(length=40), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column(
            "credentials_from_environment",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column("piste_client_id", sa.String(length=200), nullable=True),
        sa.Column("piste_client_secret_enc", sa.Text(), nullable=True),
        sa.Column("technical_login", sa.String(length=200), nullable=True),
        sa.Column("technical_password_enc", sa.Text(), nullable=True),
        sa.Column("password_expires_on", sa.Date(), nullable=True),
        sa.Column("password_expiry_source", sa.String(length=20), nullable=True),
        sa.Column("expiry_notified_for", sa.Date(), nullable=True),
        sa.Column("credentials_rejected_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("siret", name=op.f("pk_suppliers")),
    )
    op.execute(
        "INSERT INTO suppliers (siret, name, default_syntax, environment, "
        "credentials_from_environment, created_at, updated_at) "
        "SELECT siret, siret, default_syntax, 'production', true, created_at, updated_at "
        "FROM supplier_settings"
    )
    op.drop_table("supplier_settings")


def downgrade() -> None:
    op.create_table(
        "supplier_settings",
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("default_syntax", sa.String(length=40), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("siret", name=op.f("pk_supplier_settings")),
    )
    op.execute(
        "INSERT INTO supplier_settings SELECT siret, default_syntax, created_at, updated_at "
        "FROM suppliers"
    )
    op.drop_table("suppliers")
