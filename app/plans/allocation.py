"""Allocating a payment to the active plan's installments (a payments-service listener).

The payment pays the oldest open installment first; a partial payment stays on that installment
and the next payment continues it; anything beyond it goes on to the next installments. The whole
payment counts towards the plan, whichever part of the debt (balance or fees) it reduced.
The plan completes when every installment is paid, or when the debt owes nothing any more.

A payment made after the plan was already broken (its `paid_at` past an installment's grace)
breaks the plan first and is not allocated; a payment reported late but made in time is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.debts import events
from app.debts.models import Debt
from app.payments.models import Payment
from app.payments.service import PAYMENT_LISTENERS
from app.plans import breaking, lifecycle, repository
from app.plans.models import InstallmentStatus, Plan, PlanStatus


async def allocate_payment(
    session: AsyncSession, debt: Debt, payment: Payment, now: datetime, actor: str
) -> None:
    """Apply a just-recorded payment to the debt's active plan (debt row locked by the caller)."""
    plan = await repository.active_plan(session, debt.id)
    if plan is None:
        return
    timezone, _ = await repository.lender_terms(session, debt.lender_id)
    as_of = min(payment.paid_at, now)
    if await breaking.apply_break(session, debt, plan, timezone, now=now, as_of=as_of):
        return
    _pay_installments(session, debt, plan, payment, now=now, actor=actor)
    lifecycle.refresh_breaks_on(plan)
    plan.updated_at = now
    all_paid = all(i.status is InstallmentStatus.PAID for i in plan.installments)
    if plan.status is PlanStatus.ACTIVE and (all_paid or debt.balance_minor + debt.fees_minor <= 0):
        await lifecycle.complete(session, debt, plan, now=now, actor=actor)
    await session.flush()


def _pay_installments(
    session: AsyncSession, debt: Debt, plan: Plan, payment: Payment, *, now: datetime, actor: str
) -> None:
    remaining = payment.amount_minor
    for installment in plan.installments:
        if remaining <= 0:
            break
        if installment.status is not InstallmentStatus.OPEN:
            continue
        applied = min(remaining, installment.open_minor)
        remaining -= applied
        installment.paid_minor += applied
        plan.paid_minor += applied
        if installment.open_minor == 0:
            installment.status = InstallmentStatus.PAID
            installment.paid_at = payment.paid_at
        events.record(
            session,
            debt,
            "plan.installment_paid",
            at=now,
            actor=actor,
            data={
                "plan_id": str(plan.id),
                "payment_id": str(payment.id),
                "seq": installment.seq,
                "due_date": installment.due_date.isoformat(),
                "applied_minor": applied,
                "amount_minor": installment.amount_minor,
                "paid_minor": installment.paid_minor,
                "open_minor": installment.open_minor,
                "status": installment.status.value,
                "plan_paid_minor": plan.paid_minor,
            },
        )


def register() -> None:
    if allocate_payment not in PAYMENT_LISTENERS:
        PAYMENT_LISTENERS.append(allocate_payment)


register()
