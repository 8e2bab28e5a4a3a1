"""lifecycle sync: supplier status-sync cursors, followed invoices, replacement links

Revision ID: c4_lifecycle_sync
Revises: c3_directory_cache
Create Date: 2026-11-26 15:02:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4_lifecycle_sync"
down_revision: str | None = "c3_directory_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_sync_cursors",
        sa.Column("supplier_siret", sa.String(length=14), nullable=False),
        sa.Column("supplier_structure_id", sa.BigInteger(), nullable=True),
        sa.Column("structure_checked_at", TIMESTAMP, nullable=True),
        sa.Column("watermark", TIMESTAMP, nullable=True),
        sa.Column("next_sync_at", TIMESTAMP, nullable=True),
        sa.Column("lease_token", sa.Uuid(), nullable=True),
        sa.Column("lease_expires_at", TIMESTAMP, nullable=True),
        sa.Column("last_synced_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("supplier_siret", name=op.f("pk_status_sync_cursors")),
    )
    op.create_index(
        "ix_status_sync_cursors_next_sync_at",
        "status_sync_cursors",
        ["next_sync_at"],
        unique=False,
        postgresql_where=sa.text("next_sync_at IS NOT NULL"),
    )

    op.add_column(
        "invoices",
        sa.Column("followed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.alter_column("invoices", "followed", server_default=None)
    op.add_column("invoices", sa.Column("recipient_reports_payment", sa.Boolean(), nullable=True))
    op.add_column("invoices", sa.Column("replaces_invoice_id", sa.Uuid(), nullable=True))
    op.add_column("invoices", sa.Column("replaced_by_invoice_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_invoices_replaces_invoice_id_invoices"),
        "invoices",
        "invoices",
        ["replaces_invoice_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_invoices_replaced_by_invoice_id_invoices"),
        "invoices",
        "invoices",
        ["replaced_by_invoice_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_invoices_followed_supplier",
        "invoices",
        ["supplier_siret", "deposited_at"],
        unique=False,
        postgresql_where=sa.text("followed"),
    )
    # Invoices already followed one by one move to the supplier sync; those still waiting
    # for their flux (no Chorus status yet) keep their per-flux poll.
    op.execute(
        """
        UPDATE invoices SET followed = true, next_poll_at = NULL
        WHERE chorus_invoice_id IS NOT NULL AND chorus_status IS NOT NULL
          AND status NOT IN ('rejected', 'paid', 'failed', 'invalid')
        """
    )
    op.execute(
        """
        INSERT INTO status_sync_cursors
            (supplier_siret, watermark, next_sync_at, failures, created_at, updated_at)
        SELECT supplier_siret, min(chorus_status_changed_at), now(), 0, now(), now()
        FROM invoices WHERE followed GROUP BY supplier_siret
        """
    )


def downgrade() -> None:
    # Followed invoices go back to the per-invoice poll.
    op.execute("UPDATE invoices SET next_poll_at = now() WHERE followed")
    op.drop_index(
        "ix_invoices_followed_supplier",
        table_name="invoices",
        postgresql_where=sa.text("followed"),
    )
    op.drop_constraint(
        op.f("fk_invoices_replaced_by_invoice_id_invoices"), "invoices", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_invoices_replaces_invoice_id_invoices"), "invoices", type_="foreignkey"
    )
    op.drop_column("invoices", "replaced_by_invoice_id")
    op.drop_column("invoices", "replaces_invoice_id")
    op.drop_column("invoices", "recipient_reports_payment")
    op.drop_column("invoices", "followed")
    op.drop_index(
        "ix_status_sync_cursors_next_sync_at",
        table_name="status_sync_cursors",
        postgresql_where=sa.text("next_sync_at IS NOT NULL"),
    )
    op.drop_table("status_sync_cursors")
