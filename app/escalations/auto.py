"""Automatic escalation: the lender's rules, measured per debt, applied by `arrears sweep`.

Idempotent (a rule fires at most once per debt and level, and never while an escalation is
pending) and safe in several replicas (candidate debts are row-locked, locked ones skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import literal
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.models import Outcome
from app.core.background import register_sweep
from app.core.errors import DomainError
from app.core.logging import get_logger
from app.debts import dpd as dpd_rules
from app.debts import events
from app.debts.models import Debt, DebtStatus
from app.debts.status import COLLECTABLE
from app.escalations import repository
from app.escalations.ladder import Level
from app.escalations.models import EscalationReason
from app.escalations.service import escalate
from app.escalations.settings import (
    UNANSWERED_OUTCOMES,
    BrokenPlansRule,
    DpdThresholdRule,
    EscalationRule,
    RefusedRule,
    UnansweredAttemptsRule,
)

log = get_logger("arrears.escalations")
BATCH = 500
# A disputed debt waits for the dispute to be resolved before any rule moves it.
AUTO_STATUSES = sorted(COLLECTABLE - {DebtStatus.DISPUTED})
REASONS = {
    "dpd_threshold": EscalationReason.DPD_THRESHOLD,
    "broken_plans": EscalationReason.BROKEN_PLAN,
    "refused": EscalationReason.REFUSED_TO_PAY,
    "unanswered_attempts": EscalationReason.UNREACHABLE,
}
_RULES: TypeAdapter[list[EscalationRule]] = TypeAdapter(list[EscalationRule])

Rule = DpdThresholdRule | BrokenPlansRule | RefusedRule | UnansweredAttemptsRule


def parse_rules(raw: list[dict[str, Any]]) -> list[Rule]:
    """The lender's stored rules (validated on write; a stored one that no longer parses is skipped)."""
    try:
        return list(_RULES.validate_python(raw))
    except ValidationError:
        log.warning("escalation_rules_invalid")
        return []


def _window(rule: Rule, now: datetime) -> datetime | None:
    days = getattr(rule, "days", None)
    return None if days is None else now - timedelta(days=days)


def _sql_measure(rule: Rule, today: date, now: datetime) -> tuple[Any, Any]:
    """(the rule's current value as SQL, the condition that it reached its threshold)."""
    if isinstance(rule, DpdThresholdRule):
        return Debt.due_date, Debt.due_date <= today - timedelta(days=rule.min_dpd)
    if isinstance(rule, BrokenPlansRule):
        return Debt.broken_plans, Debt.broken_plans >= rule.count
    outcomes, outbound = (
        ([Outcome.REFUSED.value], False)
        if isinstance(rule, RefusedRule)
        else (list(UNANSWERED_OUTCOMES), True)
    )
    count = repository.contact_count(
        Debt.id, outcomes, until=now, since=_window(rule, now), outbound_only=outbound
    )
    return count, count >= literal(rule.count)


def fired_rule(rule: Rule, value: int) -> dict[str, Any]:
    return {
        "name": rule.name,
        "type": rule.type,
        "threshold": rule.threshold,
        "value": value,
        "days": getattr(rule, "days", None),
    }


async def measure(session: AsyncSession, debt: Debt, rule: Rule, *, dpd: int, now: datetime) -> int:
    """The rule's current value for one debt (explain)."""
    if isinstance(rule, DpdThresholdRule):
        return dpd
    if isinstance(rule, BrokenPlansRule):
        return debt.broken_plans
    if isinstance(rule, RefusedRule):
        outcomes, outbound = [Outcome.REFUSED.value], False
    else:
        outcomes, outbound = list(UNANSWERED_OUTCOMES), True
    return await repository.count_contacts(
        session, debt, outcomes, until=now, since=_window(rule, now), outbound_only=outbound
    )


@dataclass
class _Run:
    session: AsyncSession
    now: datetime
    escalated: int = 0


async def _apply_rule(run: _Run, lender_id: Any, zone: str, rule: Rule) -> None:
    today = dpd_rules.local_today(run.now, zone)
    value_expr, condition = _sql_measure(rule, today, run.now)
    candidates = await repository.rule_candidates(
        run.session,
        lender_id,
        levels=[level.value for level in rule.applies_at()],
        statuses=AUTO_STATUSES,
        rule_name=str(rule.name),
        condition=condition,
        value=value_expr,
        limit=BATCH,
    )
    for debt, raw_value in candidates:
        value = dpd_rules.dpd(raw_value, today) if isinstance(rule, DpdThresholdRule) else raw_value
        try:
            async with run.session.begin_nested():
                await escalate(
                    run.session,
                    debt,
                    Level(rule.to_level),
                    REASONS[rule.type],
                    now=run.now,
                    actor=events.SYSTEM,
                    note=f"Automatic: rule {rule.name}",
                    rule=fired_rule(rule, int(value)),
                )
                await run.session.flush()
        except DomainError as exc:
            log.info("escalation_rule_skipped", rule=rule.name, reason=exc.slug)
            continue
        run.escalated += 1


@register_sweep("escalations_auto")
async def escalate_by_rules(session: AsyncSession, now: datetime) -> int:
    """Apply every lender's escalation rules, in the order the lender listed them."""
    run = _Run(session, now)
    for lender in await repository.lenders_with_rules(session):
        for rule in parse_rules(lender.escalation_rules):
            await _apply_rule(run, lender.id, lender.timezone, rule)
    return run.escalated
