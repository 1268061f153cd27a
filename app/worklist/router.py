"""/v1/worklist"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, PageRequest
from app.core.routing import v1_router
from app.worklist import service
from app.worklist.schemas import Worklist

router = v1_router("worklist")


@router.get("/worklist", response_model=Worklist)
async def get_worklist(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("worklist:read"))],
    now: NowDep,
    agent_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Worklist:
    """The agent's assigned open debts that the rules service allows on at least one channel now,
    highest priority first; `later` lists the others with the time the first channel opens.

    `score` is the sum of `score_parts` (balance, DPD, broken plans, days since the last contact;
    each part's formula is in the schema); ties go to the lower debt id. An agent key gets its own
    worklist (a supervisor may name another agent); an admin names the agent with `agent_id`.
    """
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    return await service.worklist(session, principal, agent_id, page, now=now)
