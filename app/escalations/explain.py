"""Why a debt is at its escalation level, and which automatic rule would move it next."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.debts import service as debts_service
from app.debts.models import Debt
from app.escalations import repository
from app.escalations.auto import AUTO_STATUSES, Rule, measure, parse_rules
from app.escalations.ladder import NEEDS_APPROVAL, Level, next_levels
from app.escalations.models import EscalationStatus
from app.escalations.schemas import EscalationExplain, LevelOption, RuleProgress
from app.escalations.service import to_out

_MOVED = {EscalationStatus.APPROVED, EscalationStatus.COMPLETED}
_LABELS = {
    "dpd_threshold": "DPD",
    "broken_plans": "broken plans",
    "refused": "refusals",
    "unanswered_attempts": "unanswered attempts",
}


def _describe(rule: Rule, current: int) -> str:
    text = f"{_LABELS[rule.type]} {current} of {rule.threshold}"
    days = getattr(rule, "days", None)
    if days is not None:
        text += f" in the last {days} days"
    return f"{text} → {rule.to_level}"


async def _progress(
    session: AsyncSession, debt: Debt, rule: Rule, *, dpd: int, now: datetime
) -> RuleProgress:
    current = await measure(session, debt, rule, dpd=dpd, now=now)
    return RuleProgress(
        name=str(rule.name),
        type=rule.type,
        to_level=Level(rule.to_level),
        threshold=rule.threshold,
        current=current,
        days=getattr(rule, "days", None),
        met=current >= rule.threshold and debt.status in AUTO_STATUSES,
        fired_already=await repository.rule_fired(session, debt, str(rule.name)),
        description=_describe(rule, current),
    )


def _next(progress: list[RuleProgress]) -> RuleProgress | None:
    open_rules = [p for p in progress if not p.fired_already]
    if not open_rules:
        return None
    # A met rule first (the sweep applies them in the lender's order), else the closest one.
    met = [p for p in open_rules if p.met]
    if met:
        return met[0]
    return max(open_rules, key=lambda p: p.current / p.threshold)


async def explain_debt(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, *, now: datetime
) -> EscalationExplain:
    shown = await debts_service.get_debt(session, principal, debt_id, now=now)
    debt = await debts_service.load_debt(session, principal, debt_id)
    lender = await repository.lender_of(session, debt)
    history = await repository.history_of(session, debt)
    pending = next((e for e in history if e.status is EscalationStatus.PENDING_APPROVAL), None)
    rules = [
        rule
        for rule in parse_rules(lender.escalation_rules)
        if debt.escalation_level in rule.applies_at()
    ]
    progress = [await _progress(session, debt, rule, dpd=shown.dpd, now=now) for rule in rules]
    return EscalationExplain(
        debt_id=debt.id,
        escalation_level=Level(debt.escalation_level),
        status=debt.status.value,
        dpd=shown.dpd,
        because=[to_out(e) for e in history if e.status in _MOVED],
        pending=to_out(pending) if pending is not None else None,
        next_rule=_next(progress) if pending is None else None,
        rules=progress,
        manual_options=[
            LevelOption(to_level=level, needs_approval=level in NEEDS_APPROVAL)
            for level in next_levels(debt.escalation_level)
        ],
    )
