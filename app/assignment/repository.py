"""Queries for assignment by tier; every one is scoped by lender."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentLender, AgentTier
from app.core.db import is_postgres
from app.debts.models import Debt, DebtStatus
from app.lenders.models import Lender


async def lenders(session: AsyncSession) -> list[Lender]:
    return list((await session.scalars(select(Lender).order_by(Lender.id))).all())


async def agents_of(
    session: AsyncSession, lender_id: uuid.UUID
) -> list[tuple[uuid.UUID, AgentTier]]:
    """The agents working the lender's debts, with their tiers."""
    stmt = (
        select(Agent.id, Agent.tier)
        .join(AgentLender, AgentLender.agent_id == Agent.id)
        .where(AgentLender.lender_id == lender_id)
        .order_by(Agent.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def loads(
    session: AsyncSession, agent_ids: Sequence[uuid.UUID], statuses: Sequence[DebtStatus]
) -> dict[uuid.UUID, int]:
    """How many open debts each agent has assigned (across every lender)."""
    if not agent_ids:
        return {}
    stmt = (
        select(Debt.assigned_agent_id, func.count(Debt.id))
        .where(Debt.assigned_agent_id.in_(list(agent_ids)), Debt.status.in_(list(statuses)))
        .group_by(Debt.assigned_agent_id)
    )
    found = {row[0]: int(row[1]) for row in (await session.execute(stmt)).all()}
    return {agent_id: found.get(agent_id, 0) for agent_id in agent_ids}


async def misassigned(
    session: AsyncSession,
    lender_id: uuid.UUID,
    desired: ColumnElement[Any],
    *,
    tiers: Sequence[str],
    statuses: Sequence[DebtStatus],
    limit: int,
) -> list[tuple[Debt, str]]:
    """Open debts of the lender that are unassigned or with an agent of another tier (or one no
    longer working the lender), whose tier has agents; row-locked, others' locked rows skipped."""
    right_agent = (
        select(Agent.id)
        .join(AgentLender, AgentLender.agent_id == Agent.id)
        .where(
            Agent.id == Debt.assigned_agent_id,
            AgentLender.lender_id == Debt.lender_id,
            Agent.tier == desired,
        )
    )
    stmt = (
        select(Debt, desired)
        .where(
            Debt.lender_id == lender_id,
            Debt.status.in_(list(statuses)),
            desired.in_(list(tiers)),
            ~right_agent.exists(),
        )
        .order_by(Debt.due_date, Debt.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True, of=Debt)
    return [(row[0], str(row[1])) for row in (await session.execute(stmt)).all()]
