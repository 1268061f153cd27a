"""Portfolio summary kept by triggers on debts

`debt_portfolio_summary` holds, per (lender, status, product, currency, due date), the number of
debts and the sums of their balance, principal and fees. `GET /v1/stats/portfolio` reads it (a few
thousand rows) instead of aggregating `debts` (a million). Buckets are not stored: they depend on
each lender's local today and are computed from `due_date` at read time, as before.

It is kept by triggers on `debts`, so it is exact and current on every write path (API, batch
ingestion, webhooks, sweeps, raw SQL) and in the writer's own transaction:
- PostgreSQL: AFTER ... FOR EACH STATEMENT triggers with transition tables. One statement per
  written statement: the new rows count +1, the old rows -1 (with their sums negated), grouped by
  key; keys whose net change is zero are skipped (an UPDATE that touches no key or amount — notes,
  assignment, timestamps — takes no summary lock at all); the rest go through one
  INSERT ... ON CONFLICT DO UPDATE ordered by the key, so concurrent statements lock summary rows in
  the same order. Rows of a lender being deleted are skipped (a cascade may remove that lender's
  summary rows before its debts). TRUNCATE of debts empties the summary.
- SQLite (no statement-level triggers): row-level triggers, an upsert for the new row and an
  UPDATE for the old one; the UPDATE trigger fires only when a key or amount column changed.
Zeros are kept, not deleted: a key emptied by a status change is likely to be used again, a delete
would have to race with a concurrent insert of the same key, and readers filter `debts <> 0`.
The count column is named `debts` (like `stats_snapshot_days.debts`), not `count`, a SQL keyword.

Upgrade installs the triggers first, then backfills from the existing debts (on PostgreSQL the
trigger creation locks `debts` against writes until the migration commits, so nothing is missed
or counted twice).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:12:13.601523
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "lender_id, status, product, currency, due_date"
SUMS = "balance_minor, principal_minor, fees_minor"
COLUMNS = f"{KEY}, debts, {SUMS}"


def _add(alias: str) -> str:
    """The ON CONFLICT assignments: the existing row plus the excluded (incoming) change."""
    return ", ".join(f"{c} = {alias}{c} + excluded.{c}" for c in ["debts", *SUMS.split(", ")])


BACKFILL = (
    f"INSERT INTO debt_portfolio_summary ({COLUMNS}) "
    f"SELECT {KEY}, count(*), sum(balance_minor), sum(principal_minor), sum(fees_minor) "
    f"FROM debts GROUP BY {KEY}"
)


def _pg_delta(sources: list[str]) -> str:
    """One aggregated, key-ordered upsert of +new rows and -old rows (transition tables)."""
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
        INSERT INTO debt_portfolio_summary AS s ({COLUMNS})
        SELECT d.* FROM (
            SELECT {KEY}, sum(debts) AS debts, sum(balance_minor) AS balance_minor,
                   sum(principal_minor) AS principal_minor, sum(fees_minor) AS fees_minor
            FROM ({union}) AS changed
            GROUP BY {KEY}
            HAVING sum(debts) <> 0 OR sum(balance_minor) <> 0 OR sum(principal_minor) <> 0
                OR sum(fees_minor) <> 0
        ) AS d
        WHERE EXISTS (SELECT 1 FROM lenders l WHERE l.id = d.lender_id)
        ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET {_add("s.")};"""


PG_FUNCTION = f"""
CREATE FUNCTION debt_portfolio_summary_apply() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN {_pg_delta(["new_rows"])}
    ELSIF TG_OP = 'UPDATE' THEN {_pg_delta(["new_rows", "old_rows"])}
    ELSIF TG_OP = 'DELETE' THEN {_pg_delta(["old_rows"])}
    ELSE
        DELETE FROM debt_portfolio_summary;
    END IF;
    RETURN NULL;
END
$body$"""
PG_TRIGGERS = {
    "insert": "AFTER INSERT ON debts REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON debts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON debts REFERENCING OLD TABLE AS old_rows",
}

SQLITE_ADD_NEW = f"""
    INSERT INTO debt_portfolio_summary ({COLUMNS})
    VALUES (NEW.lender_id, NEW.status, NEW.product, NEW.currency, NEW.due_date, 1,
            NEW.balance_minor, NEW.principal_minor, NEW.fees_minor)
    ON CONFLICT ({KEY}) DO UPDATE SET {_add("")};"""
SQLITE_REMOVE_OLD = """
    UPDATE debt_portfolio_summary SET debts = debts - 1,
        balance_minor = balance_minor - OLD.balance_minor,
        principal_minor = principal_minor - OLD.principal_minor,
        fees_minor = fees_minor - OLD.fees_minor
    WHERE lender_id = OLD.lender_id AND status = OLD.status AND product = OLD.product
      AND currency = OLD.currency AND due_date = OLD.due_date;"""
WATCHED = [*KEY.split(", "), *SUMS.split(", ")]
SQLITE_TRIGGERS = {
    "insert": f"AFTER INSERT ON debts BEGIN {SQLITE_ADD_NEW} END",
    "update": (
        f"AFTER UPDATE OF {', '.join(WATCHED)} ON debts "
        f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED)} "
        f"BEGIN {SQLITE_REMOVE_OLD} {SQLITE_ADD_NEW} END"
    ),
    "delete": f"AFTER DELETE ON debts BEGIN {SQLITE_REMOVE_OLD} END",
}


def upgrade() -> None:
    op.create_table(
        "debt_portfolio_summary",
        sa.Column("lender_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "promised",
                "in_plan",
                "disputed",
                "escalated",
                "legal",
                "paid",
                "settled",
                "written_off",
                "recalled",
                "closed",
                name="debtstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "product",
            sa.Enum(
                "credit_card",
                "personal_loan",
                "microloan",
                "bank_loan",
                "bnpl",
                "telecom_bill",
                "utility_bill",
                "enterprise_loan",
                "supply_chain",
                "other",
                name="product",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("debts", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("principal_minor", sa.BigInteger(), nullable=False),
        sa.Column("fees_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lender_id"],
            ["lenders.id"],
            name=op.f("fk_debt_portfolio_summary_lender_id_lenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "lender_id",
            "status",
            "product",
            "currency",
            "due_date",
            name=op.f("pk_debt_portfolio_summary"),
        ),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for event, clause in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER debt_portfolio_summary_{event} {clause} "
                "FOR EACH STATEMENT EXECUTE FUNCTION debt_portfolio_summary_apply()"
            )
        op.execute(
            "CREATE TRIGGER debt_portfolio_summary_truncate AFTER TRUNCATE ON debts "
            "FOR EACH STATEMENT EXECUTE FUNCTION debt_portfolio_summary_apply()"
        )
    else:
        for event, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER debt_portfolio_summary_{event} {body}")
    op.execute(BACKFILL)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    events = [*PG_TRIGGERS, "truncate"] if postgres else list(SQLITE_TRIGGERS)
    for event in events:
        on = " ON debts" if postgres else ""
        op.execute(f"DROP TRIGGER IF EXISTS debt_portfolio_summary_{event}{on}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS debt_portfolio_summary_apply()")
    op.drop_table("debt_portfolio_summary")
