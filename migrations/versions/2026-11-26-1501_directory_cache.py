"""directory cache

Revision ID: c3_directory_cache
Revises: c2_webhooks_v2
Create Date: 2026-11-26 15:01:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3_directory_cache"
down_revision: str | None = "c2_webhooks_v2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_structures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("active_count", sa.Integer(), nullable=False),
        sa.Column("id_structure_cpp", sa.BigInteger(), nullable=True),
        sa.Column("designation", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=True),
        sa.Column("details_known", sa.Boolean(), nullable=False),
        sa.Column("service_code_required", sa.Boolean(), nullable=False),
        sa.Column("engagement_required", sa.Boolean(), nullable=False),
        sa.Column("engagement_or_service_required", sa.Boolean(), nullable=False),
        sa.Column("payment_status_not_reported", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("last_used_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("refresh_claimed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_structures")),
        sa.UniqueConstraint("siret", name=op.f("uq_directory_structures_siret")),
    )
    op.create_index(
        "ix_directory_structures_expires_at", "directory_structures", ["expires_at"], unique=False
    )
    op.create_table(
        "directory_services",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("id_service", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("engagement_required", sa.Boolean(), nullable=True),
        sa.Column("engagement_checked_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["directory_structures.id"],
            name=op.f("fk_directory_services_structure_id_directory_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_services")),
        sa.UniqueConstraint(
            "structure_id", "id_service", name=op.f("uq_directory_services_structure_id")
        ),
    )
    op.create_index(
        "ix_directory_services_structure_id_code",
        "directory_services",
        ["structure_id", "code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_directory_services_structure_id_code", table_name="directory_services")
    op.drop_table("directory_services")
    op.drop_index("ix_directory_structures_expires_at", table_name="directory_structures")
    op.drop_table("directory_structures")
