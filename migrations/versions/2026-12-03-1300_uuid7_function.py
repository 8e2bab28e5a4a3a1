"""uuid7() in the database, for rows that a single statement creates in bulk

Revision ID: c6_uuid7_function
Revises: c5_files_suppliers
Create Date: 2026-12-03 13:00:00+00:00

The same RFC 9562 version 7 scheme as `app.kit.ids.uuid7` (48 bits of Unix milliseconds,
then random bits), so that webhook deliveries fanned out in one INSERT ... SELECT keep the
gateway's one id scheme. PostgreSQL 18 has `uuidv7()` built in; this works from 13 on.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c6_uuid7_function"
down_revision: str | None = "c5_files_suppliers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION uuid7() RETURNS uuid AS $$
          SELECT encode(
            set_bit(set_bit(
              overlay(uuid_send(gen_random_uuid()) PLACING
                substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                          FROM 3)
                FROM 1 FOR 6),
              52, 1), 53, 1),
            'hex')::uuid
        $$ LANGUAGE sql VOLATILE PARALLEL SAFE
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS uuid7()")
