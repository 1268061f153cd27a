"""/v1/debts/{id}/escalations, /v1/escalations, /v1/debts/{id}/escalation/explain"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.escalations import explain, service
from app.escalations.ladder import Level
from app.escalations.models import EscalationStatus
from app.escalations.schemas import (
    EscalationCreate,
    EscalationDecision,
    EscalationExplain,
    EscalationOut,
)
from app.escalations.service import ListFilters

router = v1_router("escalations")
Reader = Annotated[Principal, Depends(authorize("escalations:read"))]
Writer = Annotated[Principal, Depends(authorize("escalations:write"))]
Approver = Annotated[Principal, Depends(authorize("escalations:approve"))]


@router.post(
    "/debts/{debt_id}/escalations",
    status_code=201,
    response_model=EscalationOut,
    responses=errors(404, 409, 415),
)
async def create_escalation(
    debt_id: uuid.UUID,
    body: EscalationCreate,
    response: Response,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> EscalationOut:
    """Escalate a debt; a level that needs a supervisor's approval starts `pending_approval`.

    A level not allowed from the debt's current one is 409, and so is a second escalation while
    one awaits approval. One that needs no approval is `approved` at once and moves the debt.
    """
    escalation = await service.request_escalation(session, principal, debt_id, body, now=now)
    response.headers["Location"] = f"/v1/escalations/{escalation.id}"
    return escalation


@router.get(
    "/debts/{debt_id}/escalations", response_model=Page[EscalationOut], responses=errors(404)
)
async def list_debt_escalations(
    debt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[EscalationOut]:
    """The debt's escalations, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_escalations(
        session, principal, ListFilters(debt_id=debt_id), page
    )
    return Page[EscalationOut](items=items, next_cursor=next_cursor)


@router.get("/escalations", response_model=Page[EscalationOut])
async def list_escalations(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: EscalationStatus | None = None,
    level: Level | None = None,
    lender_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[EscalationOut]:
    """Escalations, newest first; `level` is the level asked for, `agent_id` matches the agent
    who asked or the agent the debt is assigned to."""
    filters = ListFilters(status=status, level=level, lender_id=lender_id, agent_id=agent_id)
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_escalations(session, principal, filters, page)
    return Page[EscalationOut](items=items, next_cursor=next_cursor)


@router.get("/escalations/{escalation_id}", response_model=EscalationOut, responses=errors(404))
async def get_escalation(
    escalation_id: uuid.UUID, session: SessionDep, principal: Reader
) -> EscalationOut:
    """One escalation."""
    return await service.get_escalation(session, principal, escalation_id)


@router.post(
    "/escalations/{escalation_id}/approve",
    response_model=EscalationOut,
    responses=errors(404, 409, 415),
)
async def approve_escalation(
    escalation_id: uuid.UUID,
    session: SessionDep,
    principal: Approver,
    now: NowDep,
    body: EscalationDecision | None = None,
) -> EscalationOut:
    """Approve a pending escalation (supervisor or admin) and move the debt to its level."""
    note = body.note if body is not None else None
    return await service.approve_escalation(session, principal, escalation_id, note, now=now)


@router.post(
    "/escalations/{escalation_id}/reject",
    response_model=EscalationOut,
    responses=errors(404, 409, 415),
)
async def reject_escalation(
    escalation_id: uuid.UUID,
    session: SessionDep,
    principal: Approver,
    now: NowDep,
    body: EscalationDecision | None = None,
) -> EscalationOut:
    """Reject a pending escalation (supervisor or admin); the debt stays where it is."""
    note = body.note if body is not None else None
    return await service.reject_escalation(session, principal, escalation_id, note, now=now)


@router.post(
    "/escalations/{escalation_id}/complete",
    response_model=EscalationOut,
    responses=errors(404, 409, 415),
)
async def complete_escalation(
    escalation_id: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
    body: EscalationDecision | None = None,
) -> EscalationOut:
    """Mark an approved escalation's step as carried out (letter sent, case filed, placed)."""
    note = body.note if body is not None else None
    return await service.complete_escalation(session, principal, escalation_id, note, now=now)


@router.get(
    "/debts/{debt_id}/escalation/explain",
    response_model=EscalationExplain,
    responses=errors(404),
)
async def explain_escalation(
    debt_id: uuid.UUID, session: SessionDep, principal: Reader, now: NowDep
) -> EscalationExplain:
    """Why the debt is at its level, and which automatic rule would move it next."""
    return await explain.explain_debt(session, principal, debt_id, now=now)
