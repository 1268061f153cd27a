"""/v1/debts/{id}/plans and /v1/plans/{id}"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.plans import reads, service
from app.plans.schemas import PlanCreate, PlanOut

router = v1_router("plans")
Reader = Annotated[Principal, Depends(authorize("plans:read"))]
Writer = Annotated[Principal, Depends(authorize("plans:write"))]
Approver = Annotated[Principal, Depends(authorize("plans:approve"))]


@router.post(
    "/debts/{debt_id}/plans",
    status_code=201,
    response_model=PlanOut,
    responses=errors(404, 409, 413, 415),
)
async def create_plan(
    debt_id: uuid.UUID,
    body: PlanCreate,
    response: Response,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> PlanOut:
    """Propose an installment plan, a settlement or a promise to pay; one open plan per debt (409).

    Installment plans cover what is owed (balance + fees); a settlement's total is below it and
    starts `pending_approval` when its discount exceeds the lender's `max_discount_pct`, unless a
    supervisor proposes it. Generated schedules sum exactly to the total (remainder on the last
    installment); monthly due dates keep the first due date's day, clamped to shorter months.
    """
    plan = await service.propose_plan(session, principal, debt_id, body, now=now)
    response.headers["Location"] = f"/v1/plans/{plan.id}"
    return reads.to_out(plan)


@router.get("/debts/{debt_id}/plans", response_model=Page[PlanOut], responses=errors(404))
async def list_debt_plans(
    debt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    now: NowDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PlanOut]:
    """The debt's plans, newest first; an active plan found past its grace is broken first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await reads.list_plans(session, principal, debt_id, page, now=now)
    return Page[PlanOut](items=items, next_cursor=next_cursor)


@router.get("/plans/{plan_id}", response_model=PlanOut, responses=errors(404))
async def get_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: Reader, now: NowDep
) -> PlanOut:
    """One plan with its schedule (paid and open amount per installment); broken first if past its grace."""
    return await reads.get_plan(session, principal, plan_id, now=now)


@router.post("/plans/{plan_id}/approve", response_model=PlanOut, responses=errors(404, 409))
async def approve_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: Approver, now: NowDep
) -> PlanOut:
    """Approve a settlement pending approval (supervisors and admins; 403 for other agents)."""
    plan = await service.approve_plan(session, principal, plan_id, now=now)
    return reads.to_out(plan)


@router.post("/plans/{plan_id}/cancel", response_model=PlanOut, responses=errors(404, 409))
async def cancel_plan(
    plan_id: uuid.UUID, session: SessionDep, principal: Writer, now: NowDep
) -> PlanOut:
    """Cancel a pending or active plan; the debt returns to its status before the plan."""
    plan = await service.cancel_plan(session, principal, plan_id, now=now)
    return reads.to_out(plan)
