"""debt_portfolio_summary: a shard per writer, so concurrent writers of one key do not queue

The summary (0008) holds one row per (lender, status, product, currency, due date), upserted by
the statement trigger on `debts` in the writer's transaction: the row stays locked until the writer
commits. Debts that share all five — a lender's new loans of one day, with one term, posted one by
one — then wait for each other: under concurrent `POST /v1/debts`, 29 of 32 connections were seen
waiting on that one row, and the p99 latency was a second.

Now each key has up to 8 rows, one per `shard`, and a PostgreSQL writer adds its change to the
shard of its backend (`pg_backend_pid() % 8`): concurrent writers on different connections
mostly lock different rows. Readers sum the shards. `arrears sweep` folds the shards back into
shard 0 (`portfolio_summary_folded`), skipping rows a writer holds, so the table stays near one
row per key. A shard row may hold a count of 0 with non-zero sums (a debt counted in one shard
and changed from another): only the sum over a key's shards is meaningful, and it is exact.

SQLite has one writer at a time: its row triggers keep writing shard 0. Changing the primary key
rebuilds its table, so its triggers are dropped first and created again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 10:40:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 8
KEY = "lender_id, status, product, currency, due_date"
SUMS = "balance_minor, principal_minor, fees_minor"


def _add(alias: str) -> str:
    return ", ".join(f"{c} = {alias}{c} + excluded.{c}" for c in ["debts", *SUMS.split(", ")])


def _pg_delta(sources: list[str], shard: str) -> str:
    """One aggregated, key-ordered upsert of +new rows and -old rows into `shard`."""
    parts = []
    for table in sources:
        sign = "" if table == "new_rows" else "-"
        parts.append(
            f"SELECT {KEY}, {sign}1 AS debts, {sign}balance_minor AS balance_minor, "
            f"{sign}principal_minor AS principal_minor, {sign}fees_minor AS fees_minor "
            f"FROM {table}"
        )
    union = " UNION ALL ".join(parts)
    return f"""
        INSERT INTO debt_portfolio_summary AS s ({KEY}, shard, debts, {SUMS})
        SELECT d.lender_id, d.status, d.product, d.currency, d.due_date, {shard},
               d.debts, d.balance_minor, d.principal_minor, d.fees_minor
        FROM (
            SELECT {KEY}, sum(debts) AS debts, sum(balance_minor) AS balance_minor,
                   sum(principal_minor) AS principal_minor, sum(fees_minor) AS fees_minor
            FROM ({union}) AS changed
            GROUP BY {KEY}
            HAVING sum(debts) <> 0 OR sum(balance_minor) <> 0 OR sum(principal_minor) <> 0
                OR sum(fees_minor) <> 0
        ) AS d
        WHERE EXISTS (SELECT 1 FROM lenders l WHERE l.id = d.lender_id)
        ORDER BY {KEY}
        ON CONFLICT ({KEY}, shard) DO UPDATE SET {_add("s.")};"""


def _pg_function(shard: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION debt_portfolio_summary_apply() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN {_pg_delta(["new_rows"], shard)}
    ELSIF TG_OP = 'UPDATE' THEN {_pg_delta(["new_rows", "old_rows"], shard)}
    ELSIF TG_OP = 'DELETE' THEN {_pg_delta(["old_rows"], shard)}
    ELSE
        DELETE FROM debt_portfolio_summary;
    END IF;
    RETURN NULL;
END
$body$"""


def _sqlite_triggers() -> dict[str, str]:
    """0008's row triggers, writing shard 0 (its ON CONFLICT target is the new primary key)."""
    add_new = f"""
    INSERT INTO debt_portfolio_summary ({KEY}, shard, debts, {SUMS})
    VALUES (NEW.lender_id, NEW.status, NEW.product, NEW.currency, NEW.due_date, 0, 1,
            NEW.balance_minor, NEW.principal_minor, NEW.fees_minor)
    ON CONFLICT ({KEY}, shard) DO UPDATE SET {_add("")};"""
    remove_old = """
    UPDATE debt_portfolio_summary SET debts = debts - 1,
        balance_minor = balance_minor - OLD.balance_minor,
        principal_minor = principal_minor - OLD.principal_minor,
        fees_minor = fees_minor - OLD.fees_minor
    WHERE lender_id = OLD.lender_id AND status = OLD.status AND product = OLD.product
      AND currency = OLD.currency AND due_date = OLD.due_date AND shard = 0;"""
    watched = [*KEY.split(", "), *SUMS.split(", ")]
    return {
        "insert": f"AFTER INSERT ON debts BEGIN {add_new} END",
        "update": (
            f"AFTER UPDATE OF {', '.join(watched)} ON debts "
            f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in watched)} "
            f"BEGIN {remove_old} {add_new} END"
        ),
        "delete": f"AFTER DELETE ON debts BEGIN {remove_old} END",
    }


def _migration_0008() -> ModuleType:
    """Migration 0008, whose function and triggers a downgrade puts back."""
    path = next(Path(__file__).parent.glob("0008_*.py"))
    spec = importlib.util.spec_from_file_location("arrears_migration_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_sqlite_triggers() -> None:
    """SQLite rebuilds the summary table to change its key; the rename fails while triggers
    on `debts` name the table."""
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS debt_portfolio_summary_{event}")


def _create_sqlite_triggers(triggers: dict[str, str]) -> None:
    for event, body in triggers.items():
        op.execute(f"CREATE TRIGGER debt_portfolio_summary_{event} {body}")


def _fold_into_shard_zero() -> None:
    op.execute(
        f"""
        INSERT INTO debt_portfolio_summary ({KEY}, shard, debts, {SUMS})
        SELECT {KEY}, -1, sum(debts), sum(balance_minor), sum(principal_minor), sum(fees_minor)
        FROM debt_portfolio_summary GROUP BY {KEY}
        """
    )
    op.execute("DELETE FROM debt_portfolio_summary WHERE shard <> -1")
    op.execute("UPDATE debt_portfolio_summary SET shard = 0")


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if not postgres:
        _drop_sqlite_triggers()
    with op.batch_alter_table("debt_portfolio_summary") as batch:
        batch.add_column(
            sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch.drop_constraint("pk_debt_portfolio_summary", type_="primary")
        batch.create_primary_key(
            "pk_debt_portfolio_summary",
            ["lender_id", "status", "product", "currency", "due_date", "shard"],
        )
    if postgres:
        op.execute(_pg_function(f"(pg_backend_pid() % {SHARDS})::smallint"))
    else:
        _create_sqlite_triggers(_sqlite_triggers())


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:  # from here on every writer adds to shard 0, so the fold below gathers all
        op.execute(_pg_function("0::smallint"))
    _fold_into_shard_zero()
    if not postgres:
        _drop_sqlite_triggers()
    with op.batch_alter_table("debt_portfolio_summary") as batch:
        batch.drop_constraint("pk_debt_portfolio_summary", type_="primary")
        batch.create_primary_key(
            "pk_debt_portfolio_summary", ["lender_id", "status", "product", "currency", "due_date"]
        )
        batch.drop_column("shard")
    before = _migration_0008()
    if postgres:
        op.execute(before.PG_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    else:
        _create_sqlite_triggers(before.SQLITE_TRIGGERS)
