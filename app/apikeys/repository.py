"""Queries on API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentLender
from app.apikeys.models import ApiKey


async def find_active_by_prefix(
    session: AsyncSession, prefix: str
) -> tuple[ApiKey, Agent | None] | None:
    stmt = (
        select(ApiKey, Agent)
        .outerjoin(Agent, Agent.id == ApiKey.agent_id)
        .where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def agent_lender_ids(session: AsyncSession, agent_id: uuid.UUID) -> frozenset[uuid.UUID]:
    stmt = select(AgentLender.lender_id).where(AgentLender.agent_id == agent_id)
    return frozenset((await session.scalars(stmt)).all())


async def get(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


def list_query() -> Select[ApiKey]:
    return select(ApiKey)


def add(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    return key
