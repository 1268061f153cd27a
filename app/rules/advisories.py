"""Soft warnings and informational codes: they never block."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from app.rules.decision import Warning
from app.rules.localtime import local_midnight
from app.rules.plan import Moment
from app.rules.specs import ATTEMPT_OUTCOMES, UNANSWERED_OUTCOMES

RAPID_REDIAL = timedelta(minutes=5)
# Outreach attempts to one debtor on one local day (all debts, all channels) after which
# another one is flagged as concentrated.
DAILY_CONCENTRATION = 3


def consent_exclusion(moment: Moment) -> Iterator[Warning]:
    """Reg F: a call covered by a direct prior consent is neither counted nor cooled down."""
    plan = moment.plan
    if plan.ctx.channel != "phone" or not moment.covered_by_consent():
        return
    if any(p.code == "US_FEDERAL_REGF" for p in plan.presets):
        yield Warning("REGF_CONSENT_EXCLUSION_APPLIED",
                      "covered by a direct prior consent: exempt from Reg F frequency limits")  # fmt: skip


def ma_debtor_request(moment: Moment) -> Iterator[Warning]:
    """Massachusetts: returning the debtor's request is neither counted nor capped."""
    plan = moment.plan
    ctx = plan.ctx
    if ctx.purpose != "response_to_debtor_request" or ctx.channel not in ("phone", "sms"):
        return
    if any(p.code == "US_MA_940CMR7" for p in plan.presets):
        yield Warning("MA_RESPONSE_TO_DEBTOR_REQUEST",
                      "a response to the debtor's request: not counted under 940 CMR 7.04")  # fmt: skip


def no_lender_hours(moment: Moment) -> Iterator[Warning]:
    """GB has no statutory hours: the lender must configure a time_window rule."""
    plan = moment.plan
    if any(p.needs_lender_hours for p in plan.presets) and not any(
        rule.type == "time_window" for rule in plan.ctx.lender_rules
    ):
        yield Warning("WARN_NO_LENDER_HOURS", "no lender time_window rule configured")


def rapid_redial(moment: Moment) -> Iterator[Warning]:
    """A call to a number that went unanswered within the last five minutes."""
    ctx = moment.plan.ctx
    if ctx.channel != "phone" or ctx.destination is None:
        return
    since = moment.at - RAPID_REDIAL
    if any(
        h.occurred_at >= since
        and h.channel == "phone"
        and h.direction == "outbound"
        and h.destination == ctx.destination
        and h.outcome in UNANSWERED_OUTCOMES
        for h in moment.plan.history
    ):
        yield Warning("WARN_RAPID_REDIAL", "an unanswered call to this number under 5 minutes ago")


def daily_concentration(moment: Moment) -> Iterator[Warning]:
    """Many attempts on one local day, whatever the caps say."""
    plan = moment.plan
    day_start = local_midnight(moment.local(plan.primary).date(), plan.primary)
    attempts = sum(
        1
        for h in plan.history
        if h.occurred_at >= day_start
        and h.direction == "outbound"
        and h.outcome in ATTEMPT_OUTCOMES
    )
    if attempts >= DAILY_CONCENTRATION:
        yield Warning("WARN_DAILY_CONCENTRATION",
                      f"{attempts} outreach attempts to this debtor already today")  # fmt: skip


ADVISORIES: tuple[Callable[[Moment], Iterator[Warning]], ...] = (
    consent_exclusion,
    ma_debtor_request,
    no_lender_hours,
    rapid_redial,
    daily_concentration,
)


def advise(moment: Moment) -> tuple[Warning, ...]:
    """Every warning for the request at this moment, in a fixed order."""
    return tuple(warning for advisory in ADVISORIES for warning in advisory(moment))
