"""State rules: location, debt status, destination, litigation and holds (COMPLIANCE.md §4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from app.rules.context import EvaluationContext, HoldState
from app.rules.decision import Reason
from app.rules.plan import Moment

NOT_COLLECTABLE = frozenset({"paid", "settled", "written_off", "recalled", "closed"})
# Purposes that are collection outreach; notices and answers to the debtor are not.
COLLECTION_PURPOSES = frozenset({"collection", "remedy_notice"})
LITIGATION_LEVELS = frozenset({"litigation", "arbitration", "asset_preservation"})
CEASE_NOTICES = frozenset({"cease_termination_notice", "remedy_notice"})
MORATORIUM_PURPOSES = frozenset(
    {"response_to_debtor_request", "response_to_query_or_complaint", "statutory_notice"}
)


def location_resolvable(moment: Moment) -> Iterator[Reason]:
    """A window that must be checked needs at least one zone."""
    if moment.plan.setup.unresolvable:
        yield Reason("LOCATION_UNRESOLVABLE", "no time zone could be determined for the debtor")


def debt_collectable(moment: Moment) -> Iterator[Reason]:
    """No collection outreach on a paid, settled, written-off, recalled or closed debt."""
    ctx = moment.plan.ctx
    if ctx.debt_status in NOT_COLLECTABLE and ctx.purpose in COLLECTION_PURPOSES:
        yield Reason("DEBT_NOT_COLLECTABLE", f"the debt is {ctx.debt_status}")


def destination_valid(moment: Moment) -> Iterator[Reason]:
    """A contact point marked invalid is not used."""
    if moment.plan.ctx.destination_status == "invalid":
        yield Reason("DESTINATION_INVALID", "the contact point is marked invalid")


def litigation_escalation(moment: Moment) -> Iterator[Reason]:
    """A debt in litigation, arbitration or asset preservation gets letters only."""
    ctx = moment.plan.ctx
    if ctx.escalation_level in LITIGATION_LEVELS and ctx.channel != "letter":
        yield Reason("LITIGATION_HOLD", f"the debt is in {ctx.escalation_level}; letters only")


HoldBlocks = Callable[[HoldState, EvaluationContext], bool]


def _always(hold: HoldState, ctx: EvaluationContext) -> bool:
    return True


def _cease(hold: HoldState, ctx: EvaluationContext) -> bool:
    return not (ctx.channel in ("letter", "email") and ctx.purpose in CEASE_NOTICES)


def _dispute(hold: HoldState, ctx: EvaluationContext) -> bool:
    return ctx.purpose != "verification"


def _opt_out(hold: HoldState, ctx: EvaluationContext) -> bool:
    # One confirmation of the opt-out may still go out per hold.
    return not (ctx.purpose == "opt_out_confirmation" and hold.opt_out_confirmations_used < 1)


def _at_work(hold: HoldState, ctx: EvaluationContext) -> bool:
    return ctx.destination_type == "work"


def _moratorium(hold: HoldState, ctx: EvaluationContext) -> bool:
    return ctx.purpose not in MORATORIUM_PURPOSES


def _not_letter(hold: HoldState, ctx: EvaluationContext) -> bool:
    return ctx.channel != "letter"


HOLD_RULES: dict[str, tuple[str, HoldBlocks]] = {
    "cease_communication": ("CEASE_COMMUNICATION", _cease),
    "attorney_representation": ("ATTORNEY_REPRESENTED", _always),
    "bankruptcy": ("BANKRUPTCY_STAY", _always),
    "dispute": ("DISPUTE_VERIFICATION_PENDING", _dispute),
    "channel_opt_out": ("CHANNEL_OPTED_OUT", _opt_out),
    "employer_prohibits": ("PLACE_OF_EMPLOYMENT_PROHIBITED", _at_work),
    "breathing_space": ("BREATHING_SPACE_MORATORIUM", _moratorium),
    "mental_health_crisis": ("MENTAL_HEALTH_CRISIS_MORATORIUM", _moratorium),
    "deceased": ("DECEASED", _always),
    "litigation": ("LITIGATION_HOLD", _not_letter),
}


def hold_active(hold: HoldState, at: datetime) -> bool:
    """Whether the hold is in force at `at` (started, not ended, not released)."""
    if hold.starts_at > at:
        return False
    if hold.ends_at is not None and at >= hold.ends_at:
        return False
    return hold.released_at is None or at < hold.released_at


def hold_in_scope(hold: HoldState, ctx: EvaluationContext) -> bool:
    """Whether the hold's debt, channel and contact point (when it names them) match."""
    return (
        (hold.debt_id is None or hold.debt_id == ctx.debt_id)
        and (hold.channel is None or hold.channel == ctx.channel)
        and (hold.destination is None or hold.destination == ctx.destination)
    )


def hold_clears_at(hold: HoldState) -> datetime | None:
    """When the hold stops applying by itself; None when it has no end."""
    ends = [instant for instant in (hold.ends_at, hold.released_at) if instant is not None]
    return min(ends) if ends else None


def active_holds(moment: Moment) -> Iterator[Reason]:
    """Every hold in force that blocks this channel and purpose."""
    ctx = moment.plan.ctx
    for hold in ctx.holds:
        if not hold_active(hold, moment.at) or not hold_in_scope(hold, ctx):
            continue
        rule = HOLD_RULES.get(hold.type)
        if rule is None:
            raise ValueError(f"unknown hold type {hold.type!r}")
        code, blocks = rule
        if blocks(hold, ctx):
            yield Reason(code, f"{hold.type} hold {hold.id} is in force", hold_clears_at(hold))
