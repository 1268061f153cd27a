"""The daily bucket snapshot behind roll rates, taken by `arrears sweep`.

Once per lender-local day: the first sweep after the lender's midnight claims (lender, day) in
`stats_snapshot_days` and copies every open debt with its bucket as of that day in one
INSERT ... SELECT. The claim is a primary key, so a second run the same day — or another replica
running at the same moment — writes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.background import register_sweep
from app.debts.dpd import local_today
from app.stats import repository


@register_sweep("stats_snapshots")
async def take_snapshots(session: AsyncSession, now: datetime) -> int:
    """Snapshot every lender whose local day has no snapshot yet; returns the debts written."""
    written = 0
    for lender_id, zone in (await repository.lender_zones(session, None)).items():
        day = local_today(now, zone)
        if await repository.claim_snapshot_day(session, lender_id, day, now):
            written += await repository.write_snapshot(session, lender_id, day)
    return written


@register_sweep("portfolio_summary_folded")
async def fold_summary(session: AsyncSession, now: datetime) -> int:
    """Fold the portfolio summary's shards into shard 0 (migration 0012); returns the rows
    folded."""
    return await repository.fold_summary_shards(session)
