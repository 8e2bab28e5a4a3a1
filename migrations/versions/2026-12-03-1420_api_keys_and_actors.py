"""API keys; who made each change (invoice history, webhook endpoint log)

Revision ID: c10_api_keys
Revises: c9_webhooks_per_supplier
Create Date: 2026-12-03 14:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c10_api_keys"
down_revision: str | None = "c9_webhooks_per_supplier"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("supplier_sirets", postgresql.ARRAY(sa.String(length=14)), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("revoked_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.add_column("invoice_events", sa.Column("actor_id", sa.Uuid(), nullable=True))
    op.add_column("invoice_events", sa.Column("actor", sa.String(length=200), nullable=True))
    op.create_table(
        "webhook_endpoint_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint_changes")),
    )
    op.create_index(
        "ix_webhook_endpoint_changes_endpoint_id_at",
        "webhook_endpoint_changes",
        ["endpoint_id", "at"],
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_endpoint_changes_endpoint_id_at", "webhook_endpoint_changes")
    op.drop_table("webhook_endpoint_changes")
    op.drop_column("invoice_events", "actor")
    op.drop_column("invoice_events", "actor_id")
    op.drop_table("api_keys")
