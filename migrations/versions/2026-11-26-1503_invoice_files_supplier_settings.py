"""invoice files and supplier settings

Revision ID: c5_files_suppliers
Revises: c4_lifecycle_sync
Create Date: 2026-11-26 15:03:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c5_files_suppliers"
down_revision: str | None = "c4_lifecycle_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_files",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("syntax", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_files_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_files")),
    )
    op.create_table(
        "supplier_settings",
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("default_syntax", sa.String(length=40), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("siret", name=op.f("pk_supplier_settings")),
    )


def downgrade() -> None:
    op.drop_table("supplier_settings")
    op.drop_table("invoice_files")
