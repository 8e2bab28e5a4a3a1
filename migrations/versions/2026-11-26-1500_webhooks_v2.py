"""webhooks v2: encrypted secrets with rotation, disable reasons and failure clock,
manual attempts (resend, recover), attempt triggers

Revision ID: c2_webhooks_v2
Revises: b1490e80a29f
Create Date: 2026-11-26 15:00:00.000000+00:00

Existing secrets are encrypted with GATEWAY_WEBHOOK_SECRETS_KEY (the development key when
unset), so set the key before running this migration in production.
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "c2_webhooks_v2"
down_revision: str | None = "b1490e80a29f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _secret_box() -> Any:
    """The app's own encryption, so existing rows are readable by the new code."""
    from app.config import Settings
    from app.webhooks.secretbox import SecretBox

    return SecretBox.from_settings(Settings())


def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("secret_enc", sa.Text(), nullable=True))
    op.add_column(
        "webhook_endpoints",
        sa.Column(
            "old_secrets",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "webhook_endpoints", sa.Column("disabled_reason", sa.String(length=20), nullable=True)
    )
    op.add_column(
        "webhook_endpoints",
        sa.Column("first_failure_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, secret FROM webhook_endpoints")).all()
    if rows:
        box = _secret_box()
        for endpoint_id, secret in rows:
            connection.execute(
                sa.text("UPDATE webhook_endpoints SET secret_enc = :enc WHERE id = :id"),
                {"enc": box.encrypt(secret), "id": endpoint_id},
            )
    # Until now only a 410 disabled an endpoint.
    connection.execute(
        sa.text(
            "UPDATE webhook_endpoints SET disabled_reason = 'gone' WHERE disabled_at IS NOT NULL"
        )
    )
    op.alter_column("webhook_endpoints", "secret_enc", nullable=False)
    op.drop_column("webhook_endpoints", "secret")

    op.create_index(
        "ix_webhook_messages_created_at_id",
        "webhook_messages",
        ["created_at", "id"],
        unique=False,
    )

    op.add_column(
        "webhook_deliveries",
        sa.Column("manual_attempt_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
    )
    op.drop_index(op.f("ix_webhook_deliveries_endpoint_id"), table_name="webhook_deliveries")
    op.create_index(
        "ix_webhook_deliveries_endpoint_id_created_at",
        "webhook_deliveries",
        ["endpoint_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_deliveries_manual_attempt_at",
        "webhook_deliveries",
        ["manual_attempt_at"],
        unique=False,
        postgresql_where=sa.text("manual_attempt_at IS NOT NULL"),
    )

    op.add_column(
        "webhook_attempts",
        sa.Column(
            "trigger", sa.String(length=20), server_default="scheduled", nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("webhook_attempts", "trigger")

    op.drop_index(
        "ix_webhook_deliveries_manual_attempt_at",
        table_name="webhook_deliveries",
        postgresql_where=sa.text("manual_attempt_at IS NOT NULL"),
    )
    op.drop_index("ix_webhook_deliveries_endpoint_id_created_at", table_name="webhook_deliveries")
    op.create_index(
        op.f("ix_webhook_deliveries_endpoint_id"),
        "webhook_deliveries",
        ["endpoint_id"],
        unique=False,
    )
    op.drop_column("webhook_deliveries", "manual_attempt_at")

    op.drop_index("ix_webhook_messages_created_at_id", table_name="webhook_messages")

    op.add_column(
        "webhook_endpoints", sa.Column("secret", sa.String(length=200), nullable=True)
    )
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, secret_enc FROM webhook_endpoints")).all()
    if rows:
        box = _secret_box()
        for endpoint_id, secret_enc in rows:
            connection.execute(
                sa.text("UPDATE webhook_endpoints SET secret = :secret WHERE id = :id"),
                {"secret": box.decrypt(secret_enc), "id": endpoint_id},
            )
    op.alter_column("webhook_endpoints", "secret", nullable=False)
    op.drop_column("webhook_endpoints", "first_failure_at")
    op.drop_column("webhook_endpoints", "disabled_reason")
    op.drop_column("webhook_endpoints", "old_secrets")
    op.drop_column("webhook_endpoints", "secret_enc")
