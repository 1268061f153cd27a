"""Holds with their permitted purposes, debt status, destinations, litigation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.rules import evaluate

from .helpers import GB, NY_WORK, codes, ctx, hold, utc

NOON = utc(2026, 6, 1, 16, 0)  # Monday 12:00 EDT: inside every window

HOLDS = [
    # (hold type, hold fields, request fields, expected codes)
    ("cease_communication", {}, {}, ["CEASE_COMMUNICATION"]),
    ("cease_communication", {}, {"channel": "letter", "destination": None,
                                 "purpose": "cease_termination_notice"}, []),
    ("cease_communication", {}, {"channel": "email", "destination": "a@example.com",
                                 "purpose": "remedy_notice"}, []),
    ("cease_communication", {}, {"channel": "sms", "purpose": "remedy_notice"},
     ["CEASE_COMMUNICATION"]),
    ("cease_communication", {"debt": "d2"}, {}, []),
    ("attorney_representation", {}, {}, ["ATTORNEY_REPRESENTED"]),
    ("attorney_representation", {}, {"channel": "letter", "destination": None},
     ["ATTORNEY_REPRESENTED"]),
    ("bankruptcy", {}, {"purpose": "statutory_notice"}, ["BANKRUPTCY_STAY"]),
    ("dispute", {"debt": "d1"}, {}, ["DISPUTE_VERIFICATION_PENDING"]),
    ("dispute", {"debt": "d1"}, {"purpose": "verification"}, []),
    ("dispute", {"debt": "d2"}, {}, []),
    ("channel_opt_out", {"channel": "sms"}, {"channel": "sms"}, ["CHANNEL_OPTED_OUT"]),
    ("channel_opt_out", {"channel": "sms"}, {}, []),
    ("channel_opt_out", {"channel": "sms"}, {"channel": "sms", "purpose": "opt_out_confirmation"},
     []),
    ("channel_opt_out", {"channel": "sms", "confirmations": 1},
     {"channel": "sms", "purpose": "opt_out_confirmation"}, ["CHANNEL_OPTED_OUT"]),
    ("channel_opt_out", {"channel": "phone", "to": NY_WORK}, {}, []),
    ("channel_opt_out", {"channel": "phone", "to": NY_WORK},
     {"destination": NY_WORK, "destination_type": "work"}, ["CHANNEL_OPTED_OUT"]),
    ("employer_prohibits", {}, {"destination": NY_WORK, "destination_type": "work"},
     ["PLACE_OF_EMPLOYMENT_PROHIBITED"]),
    ("employer_prohibits", {}, {}, []),
    ("deceased", {}, {}, ["DECEASED"]),
    ("deceased", {}, {"channel": "letter", "destination": None}, ["DECEASED"]),
    ("litigation", {}, {}, ["LITIGATION_HOLD"]),
    ("litigation", {}, {"channel": "letter", "destination": None}, []),
    ("mental_health_crisis", {}, {}, ["MENTAL_HEALTH_CRISIS_MORATORIUM"]),
    ("mental_health_crisis", {}, {"purpose": "response_to_query_or_complaint"}, []),
    ("breathing_space", {"ends": utc(2026, 7, 1)}, {}, ["BREATHING_SPACE_MORATORIUM"]),
    ("breathing_space", {"ends": utc(2026, 7, 1)}, {"purpose": "response_to_debtor_request"}, []),
    ("breathing_space", {"ends": utc(2026, 7, 1)}, {"purpose": "statutory_notice"}, []),
    ("breathing_space", {"ends": utc(2026, 5, 1)}, {}, []),  # over
    ("bankruptcy", {"released": utc(2026, 5, 1)}, {}, []),
    ("bankruptcy", {"starts": utc(2026, 6, 2)}, {}, []),  # not yet in force
]  # fmt: skip


@pytest.mark.parametrize(("type_", "hold_fields", "request_fields", "expected"), HOLDS)
def test_each_hold_and_its_permitted_purpose(
    type_: str, hold_fields: dict[str, object], request_fields: dict[str, object],
    expected: list[str],
) -> None:  # fmt: skip
    decision = evaluate(ctx(NOON, holds=(hold(type_, **hold_fields),), **request_fields))  # type: ignore[arg-type]
    assert codes(decision) == expected


def test_breathing_space_with_an_end_clears_then() -> None:
    ends = utc(2026, 6, 20, 13, 30, 20)
    context = ctx(NOON, address=GB, destination="+447700900123",
                  holds=(hold("breathing_space", ends=ends),))  # fmt: skip
    decision = evaluate(context)
    assert codes(decision) == ["BREATHING_SPACE_MORATORIUM"]
    assert decision.reasons[0].clears_at == ends
    assert decision.next_allowed_at == utc(2026, 6, 20, 13, 31)  # minute resolution


def test_breathing_space_without_an_end_never_clears() -> None:
    decision = evaluate(ctx(NOON, holds=(hold("breathing_space"),)))
    assert codes(decision) == ["BREATHING_SPACE_MORATORIUM"]
    assert decision.reasons[0].clears_at is None
    assert decision.next_allowed_at is None


def test_hold_ending_at_night_waits_for_the_window() -> None:
    decision = evaluate(ctx(NOON, holds=(hold("bankruptcy", ends=utc(2026, 6, 3, 3, 0)),)))
    assert decision.next_allowed_at == utc(2026, 6, 3, 12, 0)


def test_a_hold_without_end_makes_next_allowed_null_whatever_else_fails() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 2, 0), holds=(hold("deceased"),)))
    assert codes(decision) == ["DECEASED", "OUTSIDE_TIME_WINDOW"]
    assert decision.next_allowed_at is None


@pytest.mark.parametrize("status", ["paid", "settled", "written_off", "recalled", "closed"])
def test_closed_debts_are_not_collectable(status: str) -> None:
    decision = evaluate(ctx(NOON, debt_status=status))
    assert codes(decision) == ["DEBT_NOT_COLLECTABLE"]
    assert decision.next_allowed_at is None
    assert evaluate(ctx(NOON, debt_status=status, purpose="response_to_debtor_request")).allowed


@pytest.mark.parametrize("status", ["active", "promised", "in_plan", "disputed", "legal"])
def test_open_debts_are_collectable(status: str) -> None:
    assert evaluate(ctx(NOON, debt_status=status)).allowed


def test_invalid_destination() -> None:
    decision = evaluate(ctx(NOON, destination_status="invalid"))
    assert codes(decision) == ["DESTINATION_INVALID"]
    assert evaluate(ctx(NOON, destination_status=None)).allowed  # a new destination


@pytest.mark.parametrize("level", ["litigation", "arbitration", "asset_preservation"])
def test_litigation_escalation_allows_letters_only(level: str) -> None:
    assert codes(evaluate(ctx(NOON, escalation_level=level))) == ["LITIGATION_HOLD"]
    letter = ctx(NOON, escalation_level=level, channel="letter", destination=None)
    assert evaluate(letter).allowed


def test_every_failing_rule_is_reported_in_order() -> None:
    night = NOON + timedelta(hours=11)  # 23:00 EDT
    decision = evaluate(ctx(night, debt_status="paid", destination_status="invalid",
                            holds=(hold("bankruptcy", ends=utc(2026, 9, 1)),)))  # fmt: skip
    assert codes(decision) == [
        "DEBT_NOT_COLLECTABLE",
        "DESTINATION_INVALID",
        "BANKRUPTCY_STAY",
        "OUTSIDE_TIME_WINDOW",
    ]


def test_unknown_hold_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown hold type"):
        evaluate(ctx(NOON, holds=(hold("vacation"),)))
