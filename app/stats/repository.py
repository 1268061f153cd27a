"""Portfolio aggregates (from the trigger-kept summary), lender zones, daily bucket snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.db import dialect_insert, is_postgres
from app.debts.dpd import BUCKETS
from app.debts.models import Debt, Product
from app.debts.status import TERMINAL
from app.lenders.models import Lender
from app.stats.models import DebtBucketSnapshot, PortfolioSummary, SnapshotDay

TERMINAL_VALUES = sorted(s.value for s in TERMINAL)


def lender_filter(column: Any, lender_ids: Iterable[uuid.UUID] | None) -> Any:
    """`column IN (...)`, or nothing when every lender is in scope."""
    if lender_ids is None:
        return literal(True)
    ids = list(lender_ids)
    return column == ids[0] if len(ids) == 1 else column.in_(ids)


async def lender_zones(
    session: AsyncSession, lender_ids: Iterable[uuid.UUID] | None
) -> dict[uuid.UUID, str]:
    stmt = select(Lender.id, Lender.timezone)
    if lender_ids is not None:
        stmt = stmt.where(Lender.id.in_(list(lender_ids)))
    return {row[0]: row[1] for row in (await session.execute(stmt)).all()}


def _bucket_for_today(due_date: Any, today: date) -> Any:
    """The DPD bucket as a CASE over due dates (index-friendly: no date arithmetic per row)."""
    whens = []
    for name, (_, high) in BUCKETS.items():
        if high is not None:
            whens.append((due_date >= today - timedelta(days=high), literal(name)))
    return case(*whens, else_=literal("181+"))


def bucket_expression(due_date: Any, lender_id: Any, todays: dict[date, list[uuid.UUID]]) -> Any:
    """Each debt's bucket as of its lender's local today (lenders grouped by that date)."""
    if len(todays) == 1:
        return _bucket_for_today(due_date, next(iter(todays)))
    whens = [(lender_id.in_(ids), _bucket_for_today(due_date, day)) for day, ids in todays.items()]
    return case(*whens, else_=literal("current"))


async def portfolio_cube(
    session: AsyncSession,
    lender_ids: Iterable[uuid.UUID] | None,
    product: Product | None,
    todays: dict[date, list[uuid.UUID]],
) -> list[tuple[str, str, str, str, int, int, int, int]]:
    """(status, product, bucket, currency, count, balance, principal, fees) per combination.

    Read from `debt_portfolio_summary` (rows per lender, status, product, currency and due
    date, kept current by triggers on `debts`, migrations 0008 and 0012) rather than from
    `debts`: the buckets still follow each lender's local today, computed here from the stored
    due dates. A key's shards are summed; combinations whose debts sum to 0 are left out.
    """
    s = PortfolioSummary
    bucket = bucket_expression(s.due_date, s.lender_id, todays).label("bucket")
    # The CASE carries bound dates, so it is grouped through a derived table (PostgreSQL would
    # see the SELECT's and the GROUP BY's parameters as different expressions).
    rows = select(
        s.status,
        s.product,
        bucket,
        s.currency,
        s.debts,
        s.balance_minor,
        s.principal_minor,
        s.fees_minor,
    ).where(lender_filter(s.lender_id, lender_ids))
    if product is not None:
        rows = rows.where(s.product == product)
    d = rows.subquery()
    keys = (d.c.status, d.c.product, d.c.bucket, d.c.currency)
    stmt = (
        select(
            *keys,
            func.sum(d.c.debts),
            func.sum(d.c.balance_minor),
            func.sum(d.c.principal_minor),
            func.sum(d.c.fees_minor),
        )
        .group_by(*keys)
        .having(func.sum(d.c.debts) != 0)
    )
    result = (await session.execute(stmt)).all()
    return [
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5]), int(r[6]), int(r[7]))
        for r in result
    ]


# Fold the summary's shards into shard 0 on PostgreSQL (migration 0012), in key order. Rows a
# writer holds are skipped (SKIP LOCKED) and folded by a later sweep: the fold waits for no shard a
# writer holds, so a writer and the fold never wait for each other in a cycle.
_FOLD_SHARDS = """
WITH moved AS (
  DELETE FROM debt_portfolio_summary s
  USING (SELECT lender_id, status, product, currency, due_date, shard
         FROM debt_portfolio_summary WHERE shard <> 0
         ORDER BY lender_id, status, product, currency, due_date, shard
         FOR UPDATE SKIP LOCKED) AS f
  WHERE (s.lender_id, s.status, s.product, s.currency, s.due_date, s.shard)
      = (f.lender_id, f.status, f.product, f.currency, f.due_date, f.shard)
  RETURNING s.lender_id, s.status, s.product, s.currency, s.due_date, s.debts,
            s.balance_minor, s.principal_minor, s.fees_minor
), folded AS (
  INSERT INTO debt_portfolio_summary AS t (lender_id, status, product, currency, due_date, shard,
                                           debts, balance_minor, principal_minor, fees_minor)
  SELECT lender_id, status, product, currency, due_date, 0, sum(debts), sum(balance_minor),
         sum(principal_minor), sum(fees_minor)
  FROM moved GROUP BY lender_id, status, product, currency, due_date
  ORDER BY lender_id, status, product, currency, due_date
  ON CONFLICT (lender_id, status, product, currency, due_date, shard) DO UPDATE SET
    debts = t.debts + excluded.debts, balance_minor = t.balance_minor + excluded.balance_minor,
    principal_minor = t.principal_minor + excluded.principal_minor,
    fees_minor = t.fees_minor + excluded.fees_minor
)
SELECT count(*) FROM moved
"""


async def fold_summary_shards(session: AsyncSession) -> int:
    """Move every unlocked shard row of the portfolio summary into its key's shard 0; returns the
    rows moved. SQLite writes shard 0 only."""
    if not is_postgres(session):
        return 0
    return int((await session.execute(text(_FOLD_SHARDS))).scalar_one())


async def claim_snapshot_day(
    session: AsyncSession, lender_id: uuid.UUID, day: date, now: datetime
) -> bool:
    """Insert the (lender, day) claim; False when another run (or replica) already has it.

    On PostgreSQL a concurrent claimer waits on the primary key until the first commits, then
    finds the conflict; on SQLite writers are serialised. Either way one snapshot per day.
    """
    stmt = (
        dialect_insert(session, SnapshotDay)
        .values(lender_id=lender_id, day=day, taken_at=now, debts=0)
        .on_conflict_do_nothing(index_elements=["lender_id", "day"])
        .returning(SnapshotDay.lender_id)
    )
    return (await session.execute(stmt)).first() is not None


async def write_snapshot(session: AsyncSession, lender_id: uuid.UUID, day: date) -> int:
    """Copy every open debt of the lender with its bucket as of `day`, in one INSERT ... SELECT."""
    source = select(
        Debt.lender_id,
        literal(day).label("day"),
        Debt.id,
        Debt.product,
        _bucket_for_today(Debt.due_date, day),
        Debt.balance_minor,
        Debt.currency,
    ).where(Debt.lender_id == lender_id, Debt.status.not_in(TERMINAL_VALUES))
    columns = ["lender_id", "day", "debt_id", "product", "bucket", "balance_minor", "currency"]
    result = await session.execute(insert(DebtBucketSnapshot).from_select(columns, source))
    written = int(getattr(result, "rowcount", 0) or 0)
    await session.execute(
        SnapshotDay.__table__.update()  # type: ignore[attr-defined]
        .where(SnapshotDay.lender_id == lender_id, SnapshotDay.day == day)
        .values(debts=written)
    )
    return written


async def snapshot_lenders(
    session: AsyncSession, lender_ids: Iterable[uuid.UUID] | None, days: list[date]
) -> dict[date, set[uuid.UUID]]:
    stmt = select(SnapshotDay.day, SnapshotDay.lender_id).where(
        SnapshotDay.day.in_(days), lender_filter(SnapshotDay.lender_id, lender_ids)
    )
    found: dict[date, set[uuid.UUID]] = {day: set() for day in days}
    for day, lender_id in (await session.execute(stmt)).all():
        found[day].add(lender_id)
    return found


async def roll_matrix(
    session: AsyncSession,
    lender_ids: list[uuid.UUID],
    product: Product | None,
    start: date,
    end: date,
) -> list[tuple[str, str, int]]:
    """(bucket on `start`, bucket on `end` or 'resolved', debts) from the two snapshots."""
    first, last = aliased(DebtBucketSnapshot), aliased(DebtBucketSnapshot)
    target = func.coalesce(last.bucket, literal("resolved")).label("to_bucket")
    stmt = (
        select(first.bucket, target, func.count())
        .select_from(first)
        .outerjoin(
            last,
            and_(last.lender_id == first.lender_id, last.day == end, last.debt_id == first.debt_id),
        )
        .where(first.day == start, lender_filter(first.lender_id, lender_ids))
        .group_by(first.bucket, target)
    )
    if product is not None:
        stmt = stmt.where(first.product == product)
    return [(str(a), str(b), int(n)) for a, b, n in (await session.execute(stmt)).all()]
