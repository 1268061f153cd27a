"""Agent commands and queries."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.agents import repository
from app.agents.models import Agent
from app.agents.schemas import AgentCreate, AgentOut
from app.core.auth import Principal
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.core.types import new_id
from app.lenders import repository as lenders_repository


class AgentNotFound(NotFound):
    title = "Agent not found"


async def create_agent(session: AsyncSession, command: AgentCreate) -> AgentOut:
    lender_ids = list(dict.fromkeys(command.lender_ids))
    known = await lenders_repository.existing_ids(session, lender_ids)
    for index, lender_id in enumerate(command.lender_ids):
        if lender_id not in known:
            raise InvalidInput(f"#/lender_ids/{index}", "No such lender.")
    agent = repository.add(
        session, Agent(id=new_id(), name=command.name, tier=command.tier), lender_ids
    )
    await session.flush()
    return _out(agent, sorted(lender_ids))


async def get_agent(session: AsyncSession, principal: Principal, agent_id: uuid.UUID) -> AgentOut:
    agent = await repository.get(session, agent_id)
    if agent is None:
        raise AgentNotFound()
    lender_ids = (await repository.lender_ids_of(session, [agent.id])).get(agent.id, [])
    scope = principal.lender_scope
    if scope is not None and not scope.intersection(lender_ids):
        raise AgentNotFound()
    return _out(agent, lender_ids)


async def list_agents(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[AgentOut], str | None]:
    query = repository.list_query(principal.lender_scope)
    agents, next_cursor = await page.fetch(session, query, Agent.created_at, Agent.id)
    lender_ids = await repository.lender_ids_of(session, [a.id for a in agents])
    return [_out(a, lender_ids.get(a.id, [])) for a in agents], next_cursor


def _out(agent: Agent, lender_ids: list[uuid.UUID]) -> AgentOut:
    return AgentOut(
        id=agent.id,
        name=agent.name,
        tier=agent.tier,
        lender_ids=lender_ids,
        created_at=agent.created_at,
        updated_at=agent.updated_at,
    )
