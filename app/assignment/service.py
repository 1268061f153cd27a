"""Assignment of debts to agents by tier (DPD bands and escalation level), balancing load.

`arrears sweep` assigns unassigned debts and moves wrong-tier ones to an agent of the right tier
working the debt's lender: the one with the fewest open debts, ties broken by agent id. People
assign by `PATCH /v1/debts/{id}`; a manual choice of the right tier is left alone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import AgentTier
from app.assignment import repository
from app.core.background import register_sweep
from app.debts import dpd as dpd_rules
from app.debts import events
from app.debts.models import Debt
from app.debts.status import COLLECTABLE
from app.escalations import auto as _escalations_first  # noqa: F401  (its sweep runs before ours)
from app.escalations.settings import AssignmentSettings
from app.lenders.models import Lender

RANK = [AgentTier.JUNIOR, AgentTier.INTERMEDIATE, AgentTier.SENIOR, AgentTier.SUPERVISOR]
STATUSES = sorted(COLLECTABLE)
BATCH = 500
MAX_BATCHES = 20


def settings_of(lender: Lender) -> AssignmentSettings:
    return AssignmentSettings.model_validate(lender.assignment or {})


def tier_for(settings: AssignmentSettings, *, dpd: int, level: str) -> AgentTier | None:
    """The tier that should work a debt: the higher of its DPD band's and its level's."""
    found = [
        b.tier
        for b in settings.tiers
        if dpd >= b.min_dpd and (b.max_dpd is None or dpd <= b.max_dpd)
    ]
    level_tier = {k.value: v for k, v in settings.level_tiers.items()}.get(level)
    if level_tier is not None:
        found.append(level_tier)
    return max(found, key=RANK.index) if found else None


def desired_tier_sql(settings: AssignmentSettings, today: date) -> ColumnElement[Any]:
    """`tier_for` as SQL over the debts table (highest tier first, so the higher one wins)."""
    whens = []
    for tier in reversed(RANK):
        parts: list[ColumnElement[bool]] = []
        levels = [lvl.value for lvl, t in settings.level_tiers.items() if t is tier]
        if levels:
            parts.append(Debt.escalation_level.in_(levels))
        for band in settings.tiers:
            if band.tier is not tier:
                continue
            clause = [Debt.due_date <= today - timedelta(days=band.min_dpd)]
            if band.max_dpd is not None:
                clause.append(Debt.due_date >= today - timedelta(days=band.max_dpd))
            parts.append(and_(*clause))
        if parts:
            whens.append((or_(*parts), literal(tier.value)))
    return case(*whens, else_=None) if whens else literal(None)


def _pick(pool: list[uuid.UUID], load: dict[uuid.UUID, int]) -> uuid.UUID:
    return min(pool, key=lambda agent_id: (load[agent_id], agent_id))


async def _assign_lender(session: AsyncSession, lender: Lender, now: datetime) -> int:
    settings = settings_of(lender)
    agents = await repository.agents_of(session, lender.id)
    if not settings.enabled or not agents:
        return 0
    pools: dict[str, list[uuid.UUID]] = {}
    for agent_id, tier in agents:
        pools.setdefault(tier.value, []).append(agent_id)
    load = await repository.loads(session, [a for a, _ in agents], STATUSES)
    desired = desired_tier_sql(settings, dpd_rules.local_today(now, lender.timezone))
    moved = 0
    for _ in range(MAX_BATCHES):
        batch = await repository.misassigned(
            session, lender.id, desired, tiers=sorted(pools), statuses=STATUSES, limit=BATCH
        )
        for debt, tier_name in batch:
            agent_id = _pick(pools[tier_name], load)
            before = _assign(session, debt, agent_id, tier_name, now)
            if before in load:
                load[before] -= 1
            load[agent_id] += 1
            moved += 1
        await session.flush()
        if len(batch) < BATCH:
            break
    return moved


def _assign(
    session: AsyncSession, debt: Debt, agent_id: uuid.UUID, tier: str, now: datetime
) -> uuid.UUID | None:
    """Give the debt to the agent; the agent it had before, if any."""
    before = debt.assigned_agent_id
    events.record(
        session,
        debt,
        "debt.assigned",
        at=now,
        actor=events.SYSTEM,
        data={
            "before": None if before is None else str(before),
            "after": str(agent_id),
            "tier": tier,
            "cause": "sweep",
        },
    )
    debt.assigned_agent_id = agent_id
    debt.updated_at = now
    return before


@register_sweep("assignment")
async def assign_by_tier(session: AsyncSession, now: datetime) -> int:
    """Assign every lender's unassigned and wrong-tier open debts."""
    moved = 0
    for lender in await repository.lenders(session):
        moved += await _assign_lender(session, lender, now)
    return moved
