"""debtors.contact_seq: contacts recorded under the debtor's lock

A contact attempt on PostgreSQL takes the debtor's row lock and reads the facts of its decision in
one statement. Every contact recorded under that lock increments `contact_seq`, so an attempt that
waited for the lock gets the row's new version (PostgreSQL re-reads a row locked with FOR UPDATE
after its locker commits) while the rest of its statement still reads the older snapshot; the
attempt sees the row's `xmin` differ from its snapshot's and reads its facts again.

A constant default: adding the column rewrites nothing on PostgreSQL 11+.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("debtors") as batch:
        batch.add_column(
            sa.Column("contact_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("debtors") as batch:
        batch.drop_column("contact_seq")
