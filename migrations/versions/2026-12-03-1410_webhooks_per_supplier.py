"""webhook endpoints and messages belong to a supplier (None: every supplier's)

Revision ID: c9_webhooks_per_supplier
Revises: c8_suppliers
Create Date: 2026-12-03 14:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9_webhooks_per_supplier"
down_revision: str | None = "c8_suppliers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_endpoints", sa.Column("supplier_siret", sa.String(14), nullable=True))
    op.create_index(
        op.f("ix_webhook_endpoints_supplier_siret"), "webhook_endpoints", ["supplier_siret"]
    )
    op.add_column("webhook_messages", sa.Column("supplier_siret", sa.String(14), nullable=True))
    op.create_index(
        op.f("ix_webhook_messages_supplier_siret"), "webhook_messages", ["supplier_siret"]
    )
    op.execute(
        "UPDATE webhook_messages m SET supplier_siret = i.supplier_siret "
        "FROM invoices i WHERE i.id = m.invoice_id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_messages_supplier_siret"), table_name="webhook_messages")
    op.drop_column("webhook_messages", "supplier_siret")
    op.drop_index(op.f("ix_webhook_endpoints_supplier_siret"), table_name="webhook_endpoints")
    op.drop_column("webhook_endpoints", "supplier_siret")
