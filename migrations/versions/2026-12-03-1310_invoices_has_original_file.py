"""invoices.has_original_file: the deposit reads the ERP's file only when there is one

Revision ID: c7_has_original_file
Revises: c6_uuid7_function
Create Date: 2026-12-03 13:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7_has_original_file"
down_revision: str | None = "c6_uuid7_function"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invoices",
        sa.Column("has_original_file", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(
        "UPDATE invoices SET has_original_file = true "
        "WHERE id IN (SELECT invoice_id FROM invoice_files)"
    )


def downgrade() -> None:
    op.drop_column("invoices", "has_original_file")
