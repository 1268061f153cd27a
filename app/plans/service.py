"""Plan commands and queries: propose, promise, approve, cancel, read, list.

Settlement approval: the discount is (owed − total) / owed. Up to the lender's `max_discount_pct`
a settlement starts `active`; above it, it starts `pending_approval` unless a supervisor (or an
admin) proposes it — their proposal is their approval, recorded in `approved_by`. Junior,
intermediate and senior collectors need a supervisor's `POST /v1/plans/{id}/approve`.
A pending plan already counts as the debt's one open plan; the debt moves to `in_plan` only when
the plan becomes active.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.types import new_id
from app.debts import events
from app.debts import service as debts_service
from app.debts.dpd import local_today
from app.debts.models import Debt, DebtStatus
from app.debts.status import check_transition
from app.plans import allocation as _allocation  # noqa: F401  (registers the payment listener)
from app.plans import breaking, lifecycle, repository
from app.plans.models import (
    OPEN_PLAN_STATUSES,
    Installment,
    InstallmentStatus,
    Plan,
    PlanKind,
    PlanStatus,
)
from app.plans.schedule import Terms, TermsRequest, breaks_on, build_terms
from app.plans.schemas import PlanCreate
from app.webhooks import outbox


class PlanNotFound(NotFound):
    title = "Plan not found"


class PlanAlreadyActive(Conflict):
    slug, title = "plan-already-active", "The debt already has an open plan"


class PlanNotPending(Conflict):
    slug, title = "plan-not-pending", "Only a plan pending approval can be approved"


class PlanNotOpen(Conflict):
    slug, title = "plan-not-open", "Only a pending or active plan can be cancelled"


async def propose_plan(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    body: PlanCreate,
    *,
    now: datetime,
) -> Plan:
    """POST /v1/debts/{id}/plans: validate, schedule, decide approval, move the debt."""
    debt = await debts_service.load_debt(session, principal, debt_id, for_update=True)
    request = TermsRequest(
        kind=body.kind,
        total_minor=body.total_minor,
        installment_count=body.installment_count,
        frequency=body.frequency,
        first_due_date=body.first_due_date,
        schedule=[(s.due_date, s.amount_minor) for s in body.schedule] if body.schedule else None,
        grace_days=body.grace_days,
    )
    return await _create(
        session,
        debt,
        request,
        now=now,
        actor=events.actor_of(principal),
        supervisor=principal.is_supervisor,
        agent_id=principal.agent_id,
    )


async def create_promise(
    session: AsyncSession,
    debt: Debt,
    *,
    amount_minor: int,
    due_date: date,
    now: datetime,
    actor: str,
    grace_days: int = 3,
    agent_id: uuid.UUID | None = None,
) -> Plan:
    """A promise plan from a `promise_to_pay` contact outcome (debt row locked by the caller).

    The same rules as `POST /v1/debts/{id}/plans` with kind `promise`: 409 `PlanAlreadyActive`
    when the debt has an open plan, 422 pointing into `#/promise/...` for a bad amount or date.
    """
    request = TermsRequest(
        kind=PlanKind.PROMISE,
        total_minor=amount_minor,
        first_due_date=due_date,
        grace_days=grace_days,
        pointers={
            "total_minor": "#/promise/amount_minor",
            "first_due_date": "#/promise/due_date",
        },
    )
    return await _create(
        session, debt, request, now=now, actor=actor, supervisor=False, agent_id=agent_id
    )


async def _create(
    session: AsyncSession,
    debt: Debt,
    request: TermsRequest,
    *,
    now: datetime,
    actor: str,
    supervisor: bool,
    agent_id: uuid.UUID | None,
) -> Plan:
    if await repository.open_plan(session, debt.id) is not None:
        raise PlanAlreadyActive("Cancel or finish the debt's open plan first.")
    timezone, max_discount_pct = await repository.lender_terms(session, debt.lender_id)
    owed = debt.balance_minor + debt.fees_minor
    terms = build_terms(request, owed_minor=owed, today=local_today(now, timezone))
    pending = _needs_approval(terms, owed, max_discount_pct) and not supervisor
    plan = _new_plan(debt, terms, owed=owed, now=now, actor=actor, agent_id=agent_id)
    target = lifecycle.debt_status_for(plan)
    check_transition(debt.status, target)  # 409 on a debt no plan can cover (disputed, paid, …)
    if pending:
        plan.status = PlanStatus.PENDING_APPROVAL
    elif plan.kind is PlanKind.SETTLEMENT and _needs_approval(terms, owed, max_discount_pct):
        plan.approved_by, plan.approved_at = actor, now
    installments = _new_installments(plan, terms)
    repository.add(session, plan, installments)
    plan.installments = installments
    lifecycle.refresh_breaks_on(plan)
    created = _created_data(plan)
    events.record(session, debt, "plan.created", at=now, actor=actor, data=created)
    await lifecycle.publish(session, debt, outbox.EventType.PLAN_CREATED, created, now=now)
    if plan.status is PlanStatus.ACTIVE:
        await lifecycle.move_debt(session, debt, target, now=now, actor=actor, strict=True)
    await session.flush()
    return plan


def _needs_approval(terms: Terms, owed: int, max_discount_pct: int) -> bool:
    if terms.kind is not PlanKind.SETTLEMENT:
        return False
    return (owed - terms.total_minor) * 100 > max_discount_pct * owed


def _new_plan(
    debt: Debt,
    terms: Terms,
    *,
    owed: int,
    now: datetime,
    actor: str,
    agent_id: uuid.UUID | None,
) -> Plan:
    prior = debt.status if debt.status not in lifecycle.PLAN_STATUSES else DebtStatus.ACTIVE
    return Plan(
        id=new_id(),
        lender_id=debt.lender_id,
        debt_id=debt.id,
        kind=terms.kind,
        status=PlanStatus.ACTIVE,
        currency=debt.currency,
        total_minor=terms.total_minor,
        paid_minor=0,
        owed_minor=owed,
        written_off_minor=0,
        frequency=terms.frequency,
        grace_days=terms.grace_days,
        prior_debt_status=prior,
        created_by=actor,
        agent_id=agent_id,
        created_at=now,
        updated_at=now,
    )


def _new_installments(plan: Plan, terms: Terms) -> list[Installment]:
    return [
        Installment(
            lender_id=plan.lender_id,
            plan_id=plan.id,
            seq=seq,
            due_date=due,
            amount_minor=amount,
            paid_minor=0,
            status=InstallmentStatus.OPEN,
        )
        for seq, (due, amount) in enumerate(terms.installments, start=1)
    ]


def _created_data(plan: Plan) -> dict[str, Any]:
    first, last = plan.installments[0], plan.installments[-1]
    return {
        "plan_id": str(plan.id),
        "kind": plan.kind.value,
        "status": plan.status.value,
        "total_minor": plan.total_minor,
        "owed_minor": plan.owed_minor,
        "discount_pct": discount_pct(plan),
        "installment_count": len(plan.installments),
        "frequency": plan.frequency.value if plan.frequency else None,
        "first_due_date": first.due_date.isoformat(),
        "last_due_date": last.due_date.isoformat(),
        "grace_days": plan.grace_days,
        "breaks_on": breaks_on(first.due_date, plan.grace_days).isoformat(),
    }


def discount_pct(plan: Plan) -> float | None:
    if plan.kind is not PlanKind.SETTLEMENT or plan.owed_minor <= 0:
        return None
    return round((plan.owed_minor - plan.total_minor) * 100 / plan.owed_minor, 2)


async def load_plan_locked(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> tuple[Debt, Plan]:
    """The caller's plan (404 otherwise) re-read after its debt's row lock is taken."""
    plan = await repository.get(session, plan_id, principal.lender_scope)
    if plan is None:
        raise PlanNotFound()
    debt = await debts_service.load_debt(session, principal, plan.debt_id, for_update=True)
    plan = await repository.get(session, plan_id, principal.lender_scope)
    assert plan is not None  # plans are never deleted while their debt exists
    return debt, plan


async def approve_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, now: datetime
) -> Plan:
    """A supervisor (or admin) approves a settlement above the lender's discount limit."""
    if not principal.is_supervisor:
        raise Forbidden("Only a supervisor may approve a plan.")
    debt, plan = await load_plan_locked(session, principal, plan_id)
    if plan.status is not PlanStatus.PENDING_APPROVAL:
        raise PlanNotPending(f"The plan is {plan.status.value}.")
    actor = events.actor_of(principal)
    target = lifecycle.debt_status_for(plan)
    check_transition(debt.status, target)
    plan.status = PlanStatus.ACTIVE
    plan.approved_by, plan.approved_at, plan.updated_at = actor, now, now
    data = {"plan_id": str(plan.id), "kind": plan.kind.value, "discount_pct": discount_pct(plan)}
    events.record(session, debt, "plan.approved", at=now, actor=actor, data=data)
    await lifecycle.move_debt(session, debt, target, now=now, actor=actor, strict=True)
    await session.flush()
    return plan


async def cancel_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, now: datetime
) -> Plan:
    """Cancel a pending or active plan; the debt goes back to its status before the plan."""
    debt, plan = await load_plan_locked(session, principal, plan_id)
    if plan.status not in OPEN_PLAN_STATUSES:
        raise PlanNotOpen(f"The plan is {plan.status.value}.")
    timezone, _ = await repository.lender_terms(session, debt.lender_id)
    if breaking.is_due(plan, timezone, now):
        # Broken, not cancelled: the broken-plan count must not be dodged. The break itself is
        # written by the next read or sweep (this transaction rolls back with the 409).
        raise PlanNotOpen("The plan is broken: an installment is unpaid past its grace days.")
    actor = events.actor_of(principal)
    await lifecycle.cancel(session, debt, plan, now=now, actor=actor, reason="requested")
    await session.flush()
    return plan
