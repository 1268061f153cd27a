"""State changes of a plan and the debt it covers, with their timeline events.

Every function here runs with the debt row locked by the caller. Debt statuses follow
`app.debts.status`: commands (create, approve, cancel) are refused with 409 when the state
machine forbids the move; system reactions (a payment, a sweep) never fail the payment or the
sweep over it — they leave the debt's status alone when the machine forbids the move.

When a plan ends without being completed (broken or cancelled) the debt goes back to the
collectable status it had before the plan (`active`, or `escalated`/`legal` for a debt already up
the escalation ladder, so status and `escalation_level` keep agreeing), and only if the debt is
still `in_plan`/`promised` — a debt someone moved meanwhile (disputed, recalled) stays where it is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.debts import events
from app.debts.models import Debt, DebtStatus
from app.debts.status import TRANSITIONS, check_transition
from app.plans.models import InstallmentStatus, Plan, PlanKind, PlanStatus
from app.plans.schedule import breaks_on
from app.webhooks import outbox

PLAN_STATUSES = frozenset({DebtStatus.IN_PLAN, DebtStatus.PROMISED})
_RESTORABLE = frozenset({DebtStatus.ACTIVE, DebtStatus.ESCALATED, DebtStatus.LEGAL})


def debt_status_for(plan: Plan) -> DebtStatus:
    return DebtStatus.PROMISED if plan.kind is PlanKind.PROMISE else DebtStatus.IN_PLAN


def restore_status_for(plan: Plan) -> DebtStatus:
    prior = plan.prior_debt_status
    return prior if prior in _RESTORABLE else DebtStatus.ACTIVE


async def move_debt(
    session: AsyncSession,
    debt: Debt,
    target: DebtStatus,
    *,
    now: datetime,
    actor: str,
    strict: bool,
) -> None:
    """Move the debt to `target`; strict: 409 when forbidden, else leave it where it is."""
    if target is debt.status:
        return
    if strict:
        check_transition(debt.status, target)
    elif target not in TRANSITIONS[debt.status]:
        return
    event_type, change = events.move_status(
        session, debt, target, cause="plan", actor=actor, at=now
    )
    await publish(session, debt, event_type, change, now=now)


async def publish(
    session: AsyncSession, debt: Debt, event_type: str, data: dict[str, Any], *, now: datetime
) -> None:
    """Queue an outbound event (plan.created, plan.broken, plan.completed, debt.status_changed)."""
    payload = {"debt_id": str(debt.id), "external_ref": debt.external_ref, **data}
    await outbox.emit(
        session, lender_id=debt.lender_id, event_type=event_type, payload=payload, at=now
    )


def refresh_breaks_on(plan: Plan) -> None:
    """Point `breaks_on` at the oldest open installment (what the sweep scans)."""
    open_ones = [i for i in plan.installments if i.status is InstallmentStatus.OPEN]
    plan.breaks_on = breaks_on(open_ones[0].due_date, plan.grace_days) if open_ones else None


async def complete(
    session: AsyncSession, debt: Debt, plan: Plan, *, now: datetime, actor: str
) -> None:
    """All paid (or nothing owed any more): a settlement writes off the rest and settles the debt."""
    plan.status = PlanStatus.COMPLETED
    plan.completed_at = now
    plan.breaks_on = None
    plan.updated_at = now
    owed = debt.balance_minor + debt.fees_minor
    data: dict[str, Any] = {
        "plan_id": str(plan.id),
        "kind": plan.kind.value,
        "total_minor": plan.total_minor,
        "paid_minor": plan.paid_minor,
        "written_off_minor": 0,
    }
    if plan.kind is PlanKind.SETTLEMENT and owed > 0:
        before = {"balance_minor": debt.balance_minor, "fees_minor": debt.fees_minor}
        debt.balance_minor = 0
        debt.fees_minor = 0
        plan.written_off_minor = owed
        data["written_off_minor"] = owed
        data.update(events.changes(before, {"balance_minor": 0, "fees_minor": 0}))
    events.record(session, debt, "plan.completed", at=now, actor=actor, data=data)
    await publish(session, debt, outbox.EventType.PLAN_COMPLETED, data, now=now)
    if plan.written_off_minor > 0:
        # Settled wins over paid: the payments service only marks collectable debts paid.
        target = DebtStatus.SETTLED
    elif debt.status not in PLAN_STATUSES:
        return  # moved meanwhile (escalated, disputed): the payments service decides on `paid`
    elif owed <= 0:
        target = DebtStatus.PAID
    else:
        target = restore_status_for(plan)  # a promise for part of what is owed was kept
    await move_debt(session, debt, target, now=now, actor=events.SYSTEM, strict=False)


async def break_plan(
    session: AsyncSession, debt: Debt, plan: Plan, *, today: date, now: datetime
) -> None:
    """An installment stayed unpaid past its grace: the plan is broken and counted on the debt."""
    missed = []
    for installment in plan.installments:
        overdue = breaks_on(installment.due_date, plan.grace_days) <= today
        if installment.status is InstallmentStatus.OPEN and overdue:
            installment.status = InstallmentStatus.MISSED
            missed.append(
                {
                    "seq": installment.seq,
                    "due_date": installment.due_date.isoformat(),
                    "amount_minor": installment.amount_minor,
                    "paid_minor": installment.paid_minor,
                    "open_minor": installment.open_minor,
                }
            )
    plan.status = PlanStatus.BROKEN
    plan.broken_at = now
    plan.breaks_on = None
    plan.updated_at = now
    debt.broken_plans += 1
    debt.updated_at = now
    data = {
        "plan_id": str(plan.id),
        "kind": plan.kind.value,
        "total_minor": plan.total_minor,
        "paid_minor": plan.paid_minor,
        "open_minor": plan.total_minor - plan.paid_minor,
        "grace_days": plan.grace_days,
        "missed": missed,
        "broken_plans": debt.broken_plans,
    }
    events.record(session, debt, "plan.broken", at=now, actor=events.SYSTEM, data=data)
    await publish(session, debt, outbox.EventType.PLAN_BROKEN, data, now=now)
    if debt.status in PLAN_STATUSES:
        target = restore_status_for(plan)
        await move_debt(session, debt, target, now=now, actor=events.SYSTEM, strict=False)


async def cancel(
    session: AsyncSession, debt: Debt, plan: Plan, *, now: datetime, actor: str, reason: str
) -> None:
    was_active = plan.status is PlanStatus.ACTIVE
    plan.status = PlanStatus.CANCELLED
    plan.cancelled_at = now
    plan.breaks_on = None
    plan.updated_at = now
    data = {"plan_id": str(plan.id), "kind": plan.kind.value, "reason": reason}
    events.record(session, debt, "plan.cancelled", at=now, actor=actor, data=data)
    if was_active and debt.status in PLAN_STATUSES:
        target = restore_status_for(plan)
        await move_debt(session, debt, target, now=now, actor=actor, strict=False)
