"""Reading plans: one plan, a debt's plans, and the response shape. Reading applies due breaks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.pagination import PageRequest
from app.debts import service as debts_service
from app.plans import breaking, repository
from app.plans.models import Plan, PlanStatus
from app.plans.schemas import InstallmentOut, PlanOut
from app.plans.service import PlanNotFound, discount_pct


async def get_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, now: datetime
) -> PlanOut:
    plan = await repository.get(session, plan_id, principal.lender_scope)
    if plan is None:
        raise PlanNotFound()
    if plan.status is PlanStatus.ACTIVE:
        timezone, _ = await repository.lender_terms(session, plan.lender_id)
        plan = await breaking.break_on_read(session, plan, timezone, now)
    return to_out(plan)


async def list_plans(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    page: PageRequest,
    *,
    now: datetime,
) -> tuple[list[PlanOut], str | None]:
    """The debt's plans, newest first; an active plan past its grace is broken first."""
    debt = await debts_service.load_debt(session, principal, debt_id)
    rows, next_cursor = await page.fetch(
        session, repository.list_query(debt.id), Plan.created_at, Plan.id
    )
    timezone, _ = await repository.lender_terms(session, debt.lender_id)
    plans = [
        await breaking.break_on_read(session, p, timezone, now)
        if p.status is PlanStatus.ACTIVE
        else p
        for p in rows
    ]
    return [to_out(p) for p in plans], next_cursor


def to_out(plan: Plan) -> PlanOut:
    return PlanOut(
        id=plan.id,
        debt_id=plan.debt_id,
        lender_id=plan.lender_id,
        kind=plan.kind,
        status=plan.status,
        currency=plan.currency,
        total_minor=plan.total_minor,
        paid_minor=plan.paid_minor,
        open_minor=max(plan.total_minor - plan.paid_minor, 0),
        owed_minor=plan.owed_minor,
        discount_pct=discount_pct(plan),
        written_off_minor=plan.written_off_minor,
        installment_count=len(plan.installments),
        frequency=plan.frequency,
        grace_days=plan.grace_days,
        created_by=plan.created_by,
        agent_id=plan.agent_id,
        approved_by=plan.approved_by,
        approved_at=plan.approved_at,
        completed_at=plan.completed_at,
        broken_at=plan.broken_at,
        cancelled_at=plan.cancelled_at,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        installments=[InstallmentOut.model_validate(i) for i in plan.installments],
    )
