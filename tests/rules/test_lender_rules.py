"""Lenders' own rules: parsing, rolling caps, calendar-day cool-downs, weekly windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from app.rules import evaluate, history_horizon, parse_lender_rules

from .helpers import FR, clears, codes, consent, contact, ctx, utc

SPEC_EXAMPLE: list[dict[str, Any]] = [
    {"name": "7_CALLS_IN_168H", "type": "frequency_cap", "channels": ["phone"], "max": 7,
     "window": {"unit": "rolling_hours", "length": 168}},
    {"name": "QUIET_EVENINGS", "type": "time_window", "channels": ["phone", "sms"],
     "weekly": {"mon": ["09:00", "20:00"], "sat": ["10:00", "18:00"], "sun": None}},
    {"name": "NO_CALLS_AFTER_CONVERSATION_3D", "type": "cooldown", "channels": ["phone"],
     "trigger_outcomes": ["conversation"], "window": {"unit": "calendar_days", "length": 3}},
]  # fmt: skip


def test_the_spec_example_parses_and_round_trips() -> None:
    rules = parse_lender_rules(SPEC_EXAMPLE)
    assert [rule.code for rule in rules] == [
        "POLICY_7_CALLS_IN_168H",
        "POLICY_QUIET_EVENINGS",
        "POLICY_NO_CALLS_AFTER_CONVERSATION_3D",
    ]
    again = [rule.to_dict() for rule in rules]
    assert parse_lender_rules(again) == rules
    assert again[1]["weekly"]["sun"] is None and again[1]["weekly"]["tue"] is None


CAP = SPEC_EXAMPLE[0]
MALFORMED: list[tuple[str, list[dict[str, Any]]]] = [
    ("unknown field", [{**CAP, "per": "debtor"}]),
    ("lowercase name", [{**CAP, "name": "seven_calls"}]),
    ("name too long", [{**CAP, "name": "X" * 61}]),
    ("unknown type", [{**CAP, "type": "quota"}]),
    ("missing max", [{k: v for k, v in CAP.items() if k != "max"}]),
    ("zero max", [{**CAP, "max": 0}]),
    ("string max", [{**CAP, "max": "7"}]),
    ("unknown channel", [{**CAP, "channels": ["fax"]}]),
    ("empty channels", [{**CAP, "channels": []}]),
    ("unknown unit", [{**CAP, "window": {"unit": "weeks", "length": 1}}]),
    ("zero length", [{**CAP, "window": {"unit": "rolling_hours", "length": 0}}]),
    ("window extra", [{**CAP, "window": {"unit": "rolling_hours", "length": 1, "tz": "UTC"}}]),
    ("bad outcome", [{**CAP, "counted_outcomes": ["answered"]}]),
    ("duplicate names", [CAP, CAP]),
    ("bad time", [{**SPEC_EXAMPLE[1], "weekly": {"mon": ["09:00", "25:00"]}}]),
    ("start after end", [{**SPEC_EXAMPLE[1], "weekly": {"mon": ["20:00", "09:00"]}}]),
    ("one bound", [{**SPEC_EXAMPLE[1], "weekly": {"mon": ["09:00"]}}]),
    ("unknown day", [{**SPEC_EXAMPLE[1], "weekly": {"funday": ["09:00", "17:00"]}}]),
    ("cooldown without triggers", [{**SPEC_EXAMPLE[2], "trigger_outcomes": []}]),
    ("time window with max", [{**SPEC_EXAMPLE[1], "max": 3}]),
]


@pytest.mark.parametrize(("case", "raw"), MALFORMED)
def test_malformed_rules_are_rejected(case: str, raw: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        parse_lender_rules(raw)


def test_rolling_168_hour_cap_differs_from_calendar_days() -> None:
    request = utc(2026, 4, 10, 18, 0)  # Friday 14:00 EDT
    calls = [request - timedelta(hours=167)] + [request - timedelta(hours=h) for h in (90, 70,
                                                                                      50, 30, 20, 5)]  # fmt: skip
    context = ctx(request, history=tuple(contact(t) for t in calls),
                  lender_rules=parse_lender_rules([CAP]))  # fmt: skip
    decision = evaluate(context)
    # Reg F's calendar week no longer holds the first call (3 April); the rolling window does.
    assert codes(decision) == ["POLICY_7_CALLS_IN_168H"]
    assert decision.counters["REGF_7_CALLS_IN_7_DAYS"]["count"] == 6
    assert decision.counters["POLICY_7_CALLS_IN_168H"]["count"] == 7
    assert decision.next_allowed_at == request + timedelta(hours=1)
    assert evaluate(ctx(request + timedelta(hours=1), history=context.history,
                        lender_rules=context.lender_rules)).allowed  # fmt: skip


def test_lender_caps_ignore_consent_and_narrow_by_outcome() -> None:
    request = utc(2026, 4, 10, 18, 0)
    calls = tuple(contact(request - timedelta(hours=h), "voicemail") for h in (1, 2))
    rule = {**CAP, "name": "TWO_VOICEMAILS", "max": 2, "counted_outcomes": ["voicemail"]}
    decision = evaluate(ctx(request, history=calls, lender_rules=parse_lender_rules([rule]),
                            consents=(consent(request - timedelta(hours=3)),)))  # fmt: skip
    assert codes(decision) == ["POLICY_TWO_VOICEMAILS"]
    rule["counted_outcomes"] = ["conversation"]
    assert evaluate(ctx(request, history=calls, lender_rules=parse_lender_rules([rule]))).allowed


COOLDOWN = parse_lender_rules([SPEC_EXAMPLE[2]])


@pytest.mark.parametrize(
    ("instant", "allowed"),
    [
        (utc(2026, 4, 12, 21, 59), False),  # Sunday 23:59 CEST: day 3
        (utc(2026, 4, 12, 22, 0), True),  # Monday 00:00 CEST: day 4
    ],
)
def test_calendar_day_cooldown_day_3_vs_day_4(instant: object, allowed: bool) -> None:
    history = (contact(utc(2026, 4, 10, 10, 0), "conversation", to="+33612345678"),)
    decision = evaluate(ctx(instant, address=FR, destination="+33612345678", history=history,  # type: ignore[arg-type]
                            lender_rules=COOLDOWN))  # fmt: skip
    assert decision.profiles == ()
    assert decision.allowed is allowed
    if not allowed:
        assert codes(decision) == ["POLICY_NO_CALLS_AFTER_CONVERSATION_3D"]
        assert decision.next_allowed_at == utc(2026, 4, 12, 22, 0)


WINDOW = parse_lender_rules([SPEC_EXAMPLE[1]])


@pytest.mark.parametrize(
    ("instant", "channel", "expected", "next_allowed"),
    [
        (utc(2026, 4, 12, 10, 0), "phone", ["POLICY_QUIET_EVENINGS"], utc(2026, 4, 13, 7, 0)),
        (utc(2026, 4, 12, 10, 0), "email", [], None),  # the rule names phone and SMS only
        (utc(2026, 4, 13, 7, 0), "sms", [], None),  # Monday 09:00 CEST
        (utc(2026, 4, 13, 18, 0), "sms", ["POLICY_QUIET_EVENINGS"], utc(2026, 4, 18, 8, 0)),
        (utc(2026, 4, 14, 10, 0), "phone", ["POLICY_QUIET_EVENINGS"], utc(2026, 4, 18, 8, 0)),
    ],
)
def test_time_window_with_null_and_missing_days(
    instant: object, channel: str, expected: list[str], next_allowed: object
) -> None:
    to = "a@example.com" if channel == "email" else "+33612345678"
    decision = evaluate(ctx(instant, address=FR, channel=channel, destination=to,  # type: ignore[arg-type]
                            lender_rules=WINDOW))  # fmt: skip
    assert codes(decision) == expected
    assert decision.next_allowed_at == next_allowed
    if expected:
        assert clears(decision, "POLICY_QUIET_EVENINGS") == next_allowed


def test_history_horizon_follows_the_longest_window() -> None:
    at = utc(2026, 4, 10)
    assert history_horizon(ctx(at)) == timedelta(days=31)
    long_cap = parse_lender_rules([{**CAP, "window": {"unit": "rolling_hours", "length": 2000}}])
    assert history_horizon(ctx(at, lender_rules=long_cap)) == timedelta(hours=2000)
    days = parse_lender_rules([{**CAP, "window": {"unit": "calendar_days", "length": 60}}])
    assert history_horizon(ctx(at, lender_rules=days)) == timedelta(days=61)
    old_consent = consent(at - timedelta(days=50), expires=at + timedelta(days=1))
    assert history_horizon(ctx(at, consents=(old_consent,))) == timedelta(days=50)


@pytest.mark.parametrize(("age_hours", "counted"), [(168, False), (167.99, True)])
def test_rolling_window_is_half_open(age_hours: float, counted: bool) -> None:
    request = utc(2026, 4, 10, 18, 0)
    rule = parse_lender_rules([{**CAP, "name": "ONE_A_WEEK", "max": 1}])
    history = (contact(request - timedelta(hours=age_hours)),)
    decision = evaluate(ctx(request, history=history, lender_rules=rule))
    assert decision.counters["POLICY_ONE_A_WEEK"]["count"] == int(counted)
    assert decision.allowed is not counted
