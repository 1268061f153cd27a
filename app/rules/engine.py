"""The compliance rules engine: an ordered list of small named rules, each giving its reason.

Pure: the caller passes the instant and the state; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta

from app.rules.advisories import advise
from app.rules.context import EvaluationContext
from app.rules.counters import caps, cooldowns
from app.rules.decision import CandidateZone, Decision, Reason
from app.rules.holds import (
    active_holds,
    debt_collectable,
    destination_valid,
    litigation_escalation,
    location_resolvable,
)
from app.rules.localtime import ONE_MINUTE, ceil_minute
from app.rules.plan import Moment, Plan, build_plan
from app.rules.windows import inconvenient_times, time_windows
from app.rules.zones import require_zone

Rule = Callable[[Moment], Iterable[Reason]]

# The order of COMPLIANCE.md §5: zones → holds → windows and holidays → cool-downs → caps.
RULES: tuple[Rule, ...] = (
    location_resolvable,
    debt_collectable,
    destination_valid,
    litigation_escalation,
    active_holds,
    time_windows,
    inconvenient_times,
    cooldowns,
    caps,
)
NEXT_ALLOWED_HORIZON = timedelta(days=90)
MIN_HISTORY = timedelta(days=31)


def failing_rules(moment: Moment) -> tuple[Reason, ...]:
    """Every failing rule at this moment, one reason per code, in rule order."""
    found: dict[str, Reason] = {}
    for rule in RULES:
        for reason in rule(moment):
            seen = found.get(reason.code)
            found[reason.code] = reason if seen is None else _merge(seen, reason)
    return tuple(found.values())


def _merge(first: Reason, second: Reason) -> Reason:
    """Two failures with one code clear when both have cleared."""
    if first.clears_at is None or second.clears_at is None:
        return Reason(first.code, first.message, None)
    return Reason(first.code, first.message, max(first.clears_at, second.clears_at))


def next_allowed_at(plan: Plan, reasons: tuple[Reason, ...]) -> datetime | None:
    """Jump to the latest `clears_at`, re-check everything, repeat until nothing fails."""
    limit = plan.ctx.at + NEXT_ALLOWED_HORIZON
    at = plan.ctx.at
    while reasons:
        clears = [reason.clears_at for reason in reasons]
        if any(instant is None for instant in clears):
            return None
        candidate = ceil_minute(max(c for c in clears if c is not None))
        # Every clears_at lies after the moment it was found at; never loop on one instant.
        at = candidate if candidate > at else ceil_minute(at) + ONE_MINUTE
        if at > limit:
            return None
        reasons = failing_rules(Moment(plan, at))
    return at


def _candidate_zones(plan: Plan) -> tuple[CandidateZone, ...]:
    at = plan.ctx.at
    return tuple(
        CandidateZone(name, at.astimezone(require_zone(name)), source)
        for name, source in plan.setup.zones
    )


def evaluate(ctx: EvaluationContext) -> Decision:
    """Decide whether the request may happen at `ctx.at`, with reasons and evidence."""
    if ctx.at.utcoffset() is None:
        raise ValueError("EvaluationContext.at must be timezone-aware")
    plan = build_plan(ctx)
    moment = Moment(plan, ctx.at, record=True)
    reasons = failing_rules(moment)
    return Decision(
        decision="block" if reasons else "allow",
        reasons=reasons,
        warnings=advise(moment),
        next_allowed_at=next_allowed_at(plan, reasons) if reasons else None,
        candidate_zones=_candidate_zones(plan),
        profiles=tuple(preset.label for preset in plan.presets),
        evaluated_at=ctx.at.astimezone(UTC),
        counters=moment.counters,
    )


Verdict = tuple[tuple[Reason, ...], datetime | None]


def verdict(ctx: EvaluationContext, memo: dict[Hashable, Verdict] | None = None) -> Verdict:
    """What a list of many debts needs of `evaluate`: the reasons and `next_allowed_at`, the
    same as its decision's, without the evidence (zones' local times, counters, warnings).

    With `memo`, requests whose plans cannot be told apart by any rule share one verdict
    (`verdict_key`): a call list decides thousands of debts whose histories differ only in
    contacts that no cap or cool-down can reach."""
    if ctx.at.utcoffset() is None:
        raise ValueError("EvaluationContext.at must be timezone-aware")
    plan = build_plan(ctx)
    key = None if memo is None else verdict_key(plan)
    if memo is None or key is None:
        return _verdict_of(plan)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _verdict_of(plan)
    return found


def _verdict_of(plan: Plan) -> Verdict:
    reasons = failing_rules(Moment(plan, plan.ctx.at))
    return reasons, next_allowed_at(plan, reasons) if reasons else None


def verdict_key(plan: Plan) -> Hashable | None:
    """Everything the rules read of a plan without holds and consents (None with them).

    The rules see the history only through each cap's and cool-down's counted events
    (`LimitCheck.events`); a limit with fewer events than its maximum fails at no instant, so
    its events are left out. Holds and consents carry ids and instants of their own."""
    ctx = plan.ctx
    if ctx.holds or ctx.consents:
        return None
    # The setup fixes the limits and their zones (`Setup.limits`): a limit is its position.
    live = tuple(
        (index, check.events)
        for index, check in enumerate(plan.limits)
        if len(check.events) >= check.limit.max
    )
    return (plan.setup, ctx.at, ctx.channel, ctx.purpose, ctx.debt_status,
            ctx.escalation_level, ctx.destination_type, ctx.destination_status,
            ctx.inconvenient_times, live)  # fmt: skip


def history_horizon(ctx: EvaluationContext) -> timedelta:
    """How far before `ctx.at` the caller must load the debtor's contact history."""
    horizon = MIN_HISTORY
    for rule in ctx.lender_rules:
        if rule.window is None:
            continue
        if rule.window.unit == "calendar_days":
            # One extra day: the first local date may start up to a day before at - n days.
            span = timedelta(days=rule.window.length + 1)
        else:
            span = timedelta(hours=rule.window.length)
        horizon = max(horizon, span)
    for consent in ctx.consents:
        # A long-lived consent ends at the first conversation after it was given.
        if consent.type == "direct_prior_consent" and consent.given_at <= ctx.at:
            if consent.expires_at is None or consent.expires_at > ctx.at:
                horizon = max(horizon, ctx.at - consent.given_at)
    return horizon
