"""Recovery per interval and roll rates between two snapshot days."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import InvalidInput
from app.stats import activity_repository as activity
from app.stats import repository
from app.stats.schemas import RecoveryPeriod, RecoveryStats, RollCell, RollRateStats
from app.stats.scope import StatsScope, date_range
from app.stats.service import BUCKET_ORDER, ratio

IntervalName = Literal["day", "week", "month"]
MAX_INTERVALS = 1000


def _next_start(day: date, interval: IntervalName) -> date:
    if interval == "day":
        return day + timedelta(days=1)
    if interval == "week":
        return day + timedelta(days=7 - day.weekday())
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def intervals(first: date, last: date, interval: IntervalName) -> list[tuple[date, date]]:
    """Calendar intervals covering [first, last], clipped to it (weeks start on Monday)."""
    spans: list[tuple[date, date]] = []
    start = first
    while start <= last:
        if len(spans) >= MAX_INTERVALS:
            raise InvalidInput(
                "#/interval", f"At most {MAX_INTERVALS} intervals; widen `interval`."
            )
        following = _next_start(start, interval)
        spans.append((start, min(following - timedelta(days=1), last)))
        start = following
    return spans


async def recovery(
    session: AsyncSession,
    scope: StatsScope,
    first: date | None,
    last: date | None,
    interval: IntervalName,
    *,
    now: datetime,
) -> RecoveryStats:
    first, last = date_range(scope, first, last, now)
    spans = intervals(first, last, interval)
    bounds = [
        (i, scope.instant(a), scope.instant(b + timedelta(days=1)))
        for i, (a, b) in enumerate(spans)
    ]
    args = (session, scope.lender_ids, scope.product, bounds)
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for idx, currency, amount in await activity.collected_by_interval(*args):
        sums[(idx, currency)][0] += amount
    for idx, currency, amount in await activity.placed_by_interval(*args):
        sums[(idx, currency)][1] += amount
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    periods = []
    for (idx, currency), (collected, placed) in sorted(sums.items()):
        totals[currency][0] += collected
        totals[currency][1] += placed
        start, end = spans[idx]
        periods.append(_period(start, end, currency, collected, placed))
    return RecoveryStats(
        scope=scope.describe(first, last),
        interval=interval,
        periods=periods,
        totals=[_period(first, last, c, col, pl) for c, (col, pl) in sorted(totals.items())],
    )


def _period(start: date, end: date, currency: str, collected: int, placed: int) -> RecoveryPeriod:
    return RecoveryPeriod(
        start=start,
        end=end,
        currency=currency,
        collected_minor=collected,
        placed_minor=placed,
        recovery_rate=ratio(collected, placed),
    )


async def roll_rates(
    session: AsyncSession,
    scope: StatsScope,
    first: date | None,
    last: date | None,
    *,
    now: datetime,
) -> RollRateStats:
    first, last = date_range(scope, first, last, now)
    lenders = list(scope.zones)
    found = await repository.snapshot_lenders(session, lenders, [first, last])
    complete = sorted(found[first] & found[last], key=str)
    cells: list[RollCell] = []
    start_debts: dict[str, int] = {}
    if complete:
        matrix = await repository.roll_matrix(session, complete, scope.product, first, last)
        for from_bucket, _, n in matrix:
            start_debts[from_bucket] = start_debts.get(from_bucket, 0) + n
        targets = [*BUCKET_ORDER, "resolved"]
        ordered = sorted(matrix, key=lambda r: (BUCKET_ORDER.index(r[0]), targets.index(r[1])))
        cells = [
            RollCell(from_bucket=a, to_bucket=b, debts=n, rate=round(n / start_debts[a], 6))
            for a, b, n in ordered
        ]
    return RollRateStats(
        scope=scope.describe(first, last),
        start_debts={b: start_debts[b] for b in BUCKET_ORDER if b in start_debts},
        cells=cells,
        lenders_without_snapshot=len(lenders) - len(complete),
    )
