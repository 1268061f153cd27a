"""Property: `next_allowed_at` is the earliest minute at which the same request is allowed."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.rules import (
    Decision,
    EvaluationContext,
    InconvenientTime,
    evaluate,
    parse_lender_rules,
)
from app.rules.engine import Verdict, verdict
from app.rules.localtime import ceil_minute

from .helpers import CN, FR, GB, ID, IN, MA, NSW, NY, NYC, at, consent, contact, ctx, hold, utc

# Around both DST changes in New York and Sydney, Australia Day and an ordinary week.
BASES = [utc(2026, 3, 7), utc(2026, 10, 30), utc(2026, 1, 24), utc(2026, 4, 3), utc(2026, 6, 1)]
DEBTORS = [
    (NY, "+15185550100"), (ID, "+12085551234"), (MA, "+16175550100"), (NYC, "+17185550100"),
    (NSW, "+61412345678"), (CN, "+8613800138000"), (IN, "+919812345678"),
    (GB, "+447700900123"), (FR, "+33612345678"), (None, "+18005551234"),
]  # fmt: skip
LENDER_RULES = parse_lender_rules([
    {"name": "CAP_3_IN_48H", "type": "frequency_cap", "channels": ["phone", "sms"], "max": 3,
     "window": {"unit": "rolling_hours", "length": 48}},
    {"name": "HOURS", "type": "time_window",
     "weekly": {"mon": ["09:00", "19:00"], "tue": ["09:00", "19:00"], "sat": ["10:00", "14:00"]}},
    {"name": "COOL_2D", "type": "cooldown", "channels": ["phone"],
     "trigger_outcomes": ["conversation", "refused"],
     "window": {"unit": "calendar_days", "length": 2}},
])  # fmt: skip
OUTCOMES = ["no_answer", "busy", "voicemail", "conversation", "reserved", "delivered", "refused"]
HOLD_TYPES = ["breathing_space", "bankruptcy", "channel_opt_out", "dispute", "cease_communication"]


@st.composite
def requests(draw: st.DrawFn) -> EvaluationContext:
    """A request with a generated history, consent, hold and inconvenient time."""
    instant = draw(st.sampled_from(BASES)) + timedelta(
        minutes=draw(st.integers(0, 4 * 1440)), seconds=draw(st.integers(0, 59))
    )
    address, number = draw(st.sampled_from(DEBTORS))
    channel = draw(st.sampled_from(["phone", "phone", "sms", "email"]))
    destination = "a@example.com" if channel == "email" else number
    history = tuple(
        contact(
            instant - timedelta(minutes=draw(st.integers(0, 12 * 1440))),
            draw(st.sampled_from(OUTCOMES)),
            channel=draw(st.sampled_from(["phone", "phone", "sms"])),
            direction=draw(st.sampled_from(["outbound", "outbound", "inbound"])),
            debts=draw(st.sampled_from([("d1",), ("d2",), ("d2", "d1")])),
            to=draw(st.sampled_from([number, "+15185550199"])),
            to_type=draw(st.sampled_from(["cell", "work", None])),
        )
        for _ in range(draw(st.integers(0, 14)))
    )
    consents = ()
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["direct_prior_consent", "outside_hours"]))
        given = instant - timedelta(minutes=draw(st.integers(0, 9 * 1440)))
        consents = (consent(given, kind),)
    holds = ()
    if draw(st.integers(0, 3)) == 0:
        starts = instant + timedelta(minutes=draw(st.integers(-3000, 600)))
        ends = starts + timedelta(minutes=draw(st.integers(1, 3000)))
        holds = (hold(draw(st.sampled_from(HOLD_TYPES)), starts=starts, ends=ends, debt="d1",
                      channel=channel),)  # fmt: skip
    slots = ()
    if draw(st.integers(0, 3)) == 0:
        start, end = draw(st.integers(0, 23)), draw(st.integers(0, 23))
        slots = (InconvenientTime(("mon", "tue", "sat"), time(start, 15), time(end, 45)),)
    return ctx(
        instant, address=address, channel=channel, destination=destination,
        destination_type=draw(st.sampled_from(["cell", "work", "home"])),
        group_debt_ids=frozenset({"d1", "d2"}) if draw(st.booleans()) else frozenset(),
        profiles=("US_FEDERAL_REGF",) if address is None else (),
        lender_rules=LENDER_RULES if address in (FR, GB) else (), history=history,
        consents=consents, holds=holds, inconvenient_times=slots,
    )  # fmt: skip


def _earlier_minutes(request: datetime, allowed_at: datetime) -> list[datetime]:
    """Every 15th minute from the request up to 48 hours, and the minute before."""
    limit = min(allowed_at, request + timedelta(hours=48))
    minutes = []
    minute = ceil_minute(request)
    while minute < limit:
        minutes.append(minute)
        minute += timedelta(minutes=15)
    before = allowed_at - timedelta(minutes=1)
    if before >= request:
        minutes.append(before)
    return minutes


def _explain(decision: Decision) -> str:
    return str(decision.to_dict())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_next_allowed_at_is_the_earliest_allowed_minute(request: EvaluationContext) -> None:
    decision = evaluate(request)
    event("allow" if decision.allowed else "block, null" if decision.next_allowed_at is None
          else "block, next allowed")  # fmt: skip
    if decision.allowed:
        assert decision.reasons == () and decision.next_allowed_at is None
        return
    assert decision.reasons
    allowed_at = decision.next_allowed_at
    if allowed_at is None:
        return
    assert allowed_at >= request.at and allowed_at.second == 0 and allowed_at.microsecond == 0
    assert at(request, allowed_at).allowed, _explain(decision)
    for minute in _earlier_minutes(request.at, allowed_at):
        assert not at(request, minute).allowed, (minute, _explain(decision))


@settings(max_examples=60, deadline=None)
@given(requests())
def test_every_reason_clears_after_the_request(request: EvaluationContext) -> None:
    for reason in evaluate(request).reasons:
        assert reason.clears_at is None or reason.clears_at > request.at
    assert evaluate(request).to_dict() == evaluate(request).to_dict()  # deterministic
    assert NY.country == "US"


@st.composite
def same_instant_requests(draw: st.DrawFn) -> list[EvaluationContext]:
    """Requests of one debtor at one instant that differ in their histories only."""
    base = draw(requests())
    pool = [
        contact(base.at - timedelta(minutes=minutes), outcome)
        for minutes in (30, 600, 2000, 4000, 9000)
        for outcome in ("no_answer", "voicemail", "conversation")
    ]
    histories = draw(st.lists(st.lists(st.sampled_from(pool), max_size=9), min_size=2, max_size=8))
    return [dataclasses.replace(base, history=tuple(history)) for history in histories]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(same_instant_requests())
def test_a_shared_verdict_memo_gives_every_request_its_own_answer(
    batch: list[EvaluationContext],
) -> None:
    """The call list's memo (`verdict_key`) only merges requests no rule can tell apart."""
    memo: dict[Hashable, Verdict] = {}
    for request in batch:
        decision = evaluate(request)
        reasons, next_at = verdict(request, memo)
        assert (reasons, next_at) == (decision.reasons, decision.next_allowed_at), _explain(
            decision
        )
    event(f"{len(batch)} requests, {len(memo)} verdicts")


def test_histories_below_every_limit_share_one_verdict() -> None:
    noon = utc(2026, 4, 7, 16)  # a Tuesday, noon in New York
    one = ctx(noon, address=NY, destination="+15185550100",
              history=(contact(noon - timedelta(hours=5), "voicemail"),))  # fmt: skip
    other = dataclasses.replace(one, history=(contact(noon - timedelta(days=2), "no_answer"),))
    capped = dataclasses.replace(
        one, history=tuple(contact(noon - timedelta(days=day, hours=1)) for day in range(7))
    )
    memo: dict[Hashable, Verdict] = {}
    assert verdict(one, memo) == verdict(other, memo) == ((), None)
    assert len(memo) == 1  # two histories, nothing any cap or cool-down counts up to its max
    reasons, _ = verdict(capped, memo)
    assert [r.code for r in reasons] == ["REGF_7_CALLS_IN_7_DAYS"] and len(memo) == 2
