"""Broken-plan detection: by `arrears sweep`, when a plan is read, and before a payment is allocated.

A plan breaks when an installment is still unpaid on the lender-local date after its due date +
`grace_days` (due 10 March, grace 3: still active all of 13 March in the lender's zone, broken from
14 March). `plans.breaks_on` holds that date for the oldest open installment, so the sweep scans an
index instead of every installment.

Every break happens with the debt row locked and re-checks the plan under the lock, so it is
idempotent and safe from several replicas at once: on PostgreSQL the sweep takes debts with
`FOR UPDATE SKIP LOCKED` (a debt another sweep or a payment holds is left for the next run); on
SQLite writers are serialised by `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.background import register_sweep
from app.core.db import create_sessionmaker
from app.core.deps import session_scope
from app.debts import events
from app.debts.dpd import local_today
from app.debts.models import Debt
from app.debts.status import TERMINAL
from app.plans import lifecycle, repository
from app.plans.models import Plan, PlanStatus

SWEEP_BATCH = 1000
# The furthest any zone is ahead of UTC (Pacific/Kiritimati, UTC+14).
_MAX_AHEAD = timedelta(hours=14)


def is_due(plan: Plan, timezone: str, now: datetime) -> bool:
    """True when the active plan's oldest open installment is past its grace as of `now`."""
    if plan.status is not PlanStatus.ACTIVE or plan.breaks_on is None:
        return False
    return local_today(now, timezone) >= plan.breaks_on


async def apply_break(
    session: AsyncSession,
    debt: Debt,
    plan: Plan,
    timezone: str,
    *,
    now: datetime,
    as_of: datetime | None = None,
) -> bool:
    """Break the plan if it was due as of `as_of` (default `now`); True when it changed.

    The debt row is locked by the caller; the change is recorded at `now`.
    """
    as_of = as_of or now
    if not is_due(plan, timezone, as_of):
        return False
    if debt.status in TERMINAL:
        # The debt was paid, settled, recalled or closed outside the plan: nothing left to break.
        await lifecycle.cancel(
            session, debt, plan, now=now, actor=events.SYSTEM, reason="debt_closed"
        )
    else:
        today = local_today(as_of, timezone)
        await lifecycle.break_plan(session, debt, plan, today=today, now=now)
    return True


@register_sweep("plans_broken")
async def sweep_broken_plans(session: AsyncSession, now: datetime) -> int:
    """Break every active plan past its grace; a second run changes nothing."""
    latest: date = (now.astimezone(UTC) + _MAX_AHEAD).date()
    candidates = await repository.break_candidates(session, latest, SWEEP_BATCH)
    zones = {debt_id: zone for debt_id, _, zone in candidates}
    due = [d for d, breaks_on, zone in candidates if local_today(now, zone) >= breaks_on]
    changed = 0
    for debt in await repository.lock_debts(session, due, skip_locked=True):
        plan = await repository.active_plan(session, debt.id)
        if plan is not None and await apply_break(session, debt, plan, zones[debt.id], now=now):
            changed += 1
    await session.flush()
    return changed


async def break_on_read(session: AsyncSession, plan: Plan, timezone: str, now: datetime) -> Plan:
    """The plan as it is after breaking it, if reading it at `now` finds it past its grace.

    GET requests run in a read-only transaction (a deferred BEGIN on SQLite, whose snapshot is fixed
    at its first read: upgrading it to a writer fails as soon as another writer has committed). So
    the break is written in a short transaction of its own — `BEGIN IMMEDIATE` on SQLite, queued
    behind other writers; the debt row lock on PostgreSQL — which re-checks the plan under the lock,
    exactly as the sweep does, and commits whatever the GET does afterwards. The plan returned is
    the one loaded by that transaction, because the GET's own snapshot may predate the break.
    """
    if not is_due(plan, timezone, now):
        return plan
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    async with session_scope(create_sessionmaker(engine)) as writer:
        debts = await repository.lock_debts(writer, [plan.debt_id], skip_locked=False)
        fresh = await repository.open_plan(writer, plan.debt_id)
        if debts and fresh is not None and fresh.id == plan.id:
            await apply_break(writer, debts[0], fresh, timezone, now=now)
            await writer.flush()
        reread = await repository.get(writer, plan.id, None)
    return reread if reread is not None else plan
