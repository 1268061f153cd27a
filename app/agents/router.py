"""/v1/agents"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.agents import service
from app.agents.schemas import AgentCreate, AgentOut
from app.core.auth import Principal, authorize
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router

router = v1_router("agents")


@router.post("/agents", status_code=201, response_model=AgentOut, responses=errors(413, 415))
async def create_agent(
    body: AgentCreate,
    response: Response,
    session: SessionDep,
    _: Annotated[Principal, Depends(authorize("agents:write"))],
) -> AgentOut:
    """Create a collector or supervisor working the given lenders' debts (admin)."""
    agent = await service.create_agent(session, body)
    response.headers["Location"] = f"/v1/agents/{agent.id}"
    return agent


@router.get("/agents", response_model=Page[AgentOut])
async def list_agents(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("agents:read"))],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[AgentOut]:
    """List agents, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_agents(session, principal, page)
    return Page[AgentOut](items=items, next_cursor=next_cursor)


@router.get("/agents/{agent_id}", response_model=AgentOut, responses=errors(404))
async def get_agent(
    agent_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("agents:read"))],
) -> AgentOut:
    """One agent."""
    return await service.get_agent(session, principal, agent_id)
