"""debts: the unique key (lender_id, external_ref) indexed external_ref first

Batch ingestion looks up a batch's debts by their external refs before it writes (`unchanged`
costs nothing more, changed debts are locked). With the key indexed lender first, every index on
`debts` starts with `lender_id`, and the plan depends on the statistics of that one lender: while
a lender's first large portfolio is imported, statistics from before the import put the lender at
one debt, and PostgreSQL scanned all of the lender's debts and compared each with every ref of the
batch (243 ms for a batch of 1,000 against 20,000 debts; growing with each batch). Indexed
external_ref first, the lookup probes the key once per ref (`app.debts.repository._BY_REFS`: each
ref on its own, the lender as a filter no index serves): 3–4 ms, whatever the statistics say.

The constraint is the same set of columns, so `ON CONFLICT (lender_id, external_ref)` infers it
as before; queries of one lender's debts have their own lender-first indexes. SQLite rebuilds the
table to change a constraint, which drops its triggers: the portfolio summary's (0008) are
created again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:40:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _restore_sqlite_triggers() -> None:
    """The summary triggers of migration 0008, which SQLite's table rebuild dropped."""
    if op.get_context().dialect.name != "sqlite":
        return
    path = next(Path(__file__).parent.glob("0008_*.py"))
    spec = importlib.util.spec_from_file_location("arrears_migration_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for event, body in module.SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS debt_portfolio_summary_{event}")
        op.execute(f"CREATE TRIGGER debt_portfolio_summary_{event} {body}")


def upgrade() -> None:
    with op.batch_alter_table("debts") as batch:
        batch.drop_constraint("uq_debts_lender_id_external_ref", type_="unique")
        batch.create_unique_constraint(
            "uq_debts_external_ref_lender_id", ["external_ref", "lender_id"]
        )
    _restore_sqlite_triggers()


def downgrade() -> None:
    with op.batch_alter_table("debts") as batch:
        batch.drop_constraint("uq_debts_external_ref_lender_id", type_="unique")
        batch.create_unique_constraint(
            "uq_debts_lender_id_external_ref", ["lender_id", "external_ref"]
        )
    _restore_sqlite_triggers()
