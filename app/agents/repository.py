"""Queries on agents."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentLender


async def get(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    return await session.get(Agent, agent_id)


async def lender_ids_of(
    session: AsyncSession, agent_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    wanted = list(agent_ids)
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if wanted:
        stmt = (
            select(AgentLender.agent_id, AgentLender.lender_id)
            .where(AgentLender.agent_id.in_(wanted))
            .order_by(AgentLender.lender_id)
        )
        for agent_id, lender_id in (await session.execute(stmt)).all():
            found[agent_id].append(lender_id)
    return found


def list_query(scope: frozenset[uuid.UUID] | None) -> Select[Agent]:
    stmt = select(Agent)
    if scope is not None:
        visible = select(AgentLender.agent_id).where(AgentLender.lender_id.in_(scope))
        stmt = stmt.where(Agent.id.in_(visible))
    return stmt


def add(session: AsyncSession, agent: Agent, lender_ids: Iterable[uuid.UUID]) -> Agent:
    session.add(agent)
    session.add_all(AgentLender(agent_id=agent.id, lender_id=lid) for lid in lender_ids)
    return agent
