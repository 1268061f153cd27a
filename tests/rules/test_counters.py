"""Caps and cool-downs: Reg F with consents, Massachusetts, Washington, NYC, Australia, China."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.rules import evaluate

from .helpers import CN, MA, NSW, NY_WORK, NYC, WA, clears, codes, consent, contact, ctx, utc
from .helpers import warning_codes as warnings

# April 2026 in New York is EDT (UTC-4): local midnight is 04:00Z, 08:00 is 12:00Z.
APRIL = [utc(2026, 4, day, 15, 0) for day in range(1, 8)]  # Wed 1 … Tue 7, 11:00 EDT
REQUEST = utc(2026, 4, 7, 18, 0)


@pytest.mark.parametrize(("calls", "allowed"), [(6, True), (7, False)])
def test_regf_seventh_call_allowed_eighth_blocked(calls: int, allowed: bool) -> None:
    history = tuple(contact(t) for t in APRIL[7 - calls :])
    decision = evaluate(ctx(REQUEST, history=history))
    assert decision.allowed is allowed
    assert decision.counters["REGF_7_CALLS_IN_7_DAYS"]["count"] == calls
    if not allowed:
        assert codes(decision) == ["REGF_7_CALLS_IN_7_DAYS"]
        # 1 April leaves the window at 00:00 on 8 April; the window opens at 08:00.
        assert clears(decision, "REGF_7_CALLS_IN_7_DAYS") == utc(2026, 4, 8, 4, 0)
        assert decision.next_allowed_at == utc(2026, 4, 8, 12, 0)


def test_regf_counter_evidence() -> None:
    decision = evaluate(ctx(REQUEST, history=tuple(contact(t) for t in APRIL)))
    assert decision.counters["REGF_7_CALLS_IN_7_DAYS"] == {
        "kind": "cap",
        "count": 7,
        "max": 7,
        "window_start": "2026-04-01T04:00:00Z",
        "window_end": "2026-04-08T04:00:00Z",
        "zone": "America/New_York",
    }


@pytest.mark.parametrize(
    ("changed", "allowed"),
    [
        ({"outcome": "busy"}, True),
        ({"outcome": "network_error"}, True),
        ({"outcome": "not_in_service"}, True),
        ({"direction": "inbound", "outcome": "no_answer"}, True),
        ({"channel": "sms", "outcome": "delivered"}, True),
        ({"debts": ("d9",)}, True),
        ({"outcome": "reserved"}, False),
        ({"outcome": "voicemail"}, False),
        ({"outcome": "wrong_number"}, False),
        ({"debts": ("d9", "d1")}, False),  # also_debt_ids: counts against each debt
    ],
)
def test_regf_what_counts(changed: dict[str, object], allowed: bool) -> None:
    history = tuple(contact(t) for t in APRIL[1:]) + (contact(APRIL[0], **changed),)  # type: ignore[arg-type]
    assert evaluate(ctx(REQUEST, history=history)).allowed is allowed


def test_group_key_debts_count_as_one() -> None:
    history = tuple(contact(t, debts=("d1" if i % 2 else "d2",)) for i, t in enumerate(APRIL))
    grouped = ctx(REQUEST, group_debt_ids=frozenset({"d1", "d2"}), history=history)
    assert codes(evaluate(grouped)) == ["REGF_7_CALLS_IN_7_DAYS"]
    assert evaluate(ctx(REQUEST, history=history)).allowed


def test_history_after_the_request_instant_is_ignored() -> None:
    history = tuple(contact(t) for t in APRIL[1:]) + (contact(REQUEST + timedelta(minutes=1)),)
    assert evaluate(ctx(REQUEST, history=history)).allowed


CONVERSATION = utc(2026, 4, 1, 15, 0)  # day 1: Wednesday 1 April, 11:00 EDT


@pytest.mark.parametrize(
    ("instant", "allowed"),
    [
        (utc(2026, 4, 1, 16, 0), False),  # day 1, later the same day
        (utc(2026, 4, 8, 0, 59), False),  # day 7, 20:59 EDT
        (utc(2026, 4, 8, 12, 0), True),  # day 8, 08:00 EDT
    ],
)
def test_regf_conversation_cooldown_day_7_vs_day_8(instant: object, allowed: bool) -> None:
    for direction in ("outbound", "inbound"):
        history = (contact(CONVERSATION, "conversation", direction=direction),)
        decision = evaluate(ctx(instant, history=history))  # type: ignore[arg-type]
        assert decision.allowed is allowed
        if not allowed:
            assert codes(decision) == ["REGF_CONVERSATION_COOLDOWN"]
            assert clears(decision, "REGF_CONVERSATION_COOLDOWN") == utc(2026, 4, 8, 4, 0)
            assert decision.next_allowed_at == utc(2026, 4, 8, 12, 0)


def test_right_party_outcomes_are_conversations() -> None:
    history = (contact(CONVERSATION, "promise_to_pay"),)
    assert codes(evaluate(ctx(utc(2026, 4, 2, 15, 0), history=history))) == [
        "REGF_CONVERSATION_COOLDOWN"
    ]


def test_sms_is_not_cooled_down_nor_counted() -> None:
    history = (contact(CONVERSATION, "conversation"),) + tuple(contact(t) for t in APRIL)
    assert evaluate(ctx(REQUEST, channel="sms", history=history)).allowed


def test_direct_prior_consent_exempts_the_call() -> None:
    history = tuple(contact(t) for t in APRIL)
    given = utc(2026, 4, 7, 16, 0)
    decision = evaluate(ctx(REQUEST, history=history, consents=(consent(given),)))
    assert decision.allowed
    assert warnings(decision) == ["REGF_CONSENT_EXCLUSION_APPLIED"]
    other_debt = consent(given, debt="d2")
    assert not evaluate(ctx(REQUEST, history=history, consents=(other_debt,))).allowed
    sms_only = consent(given, channel="sms")
    assert not evaluate(ctx(REQUEST, history=history, consents=(sms_only,))).allowed


def test_calls_covered_by_consent_are_not_counted() -> None:
    # Given Tuesday 31 March (day 1); covers calls through Monday 6 April (day 7).
    given = utc(2026, 3, 31, 15, 0)
    decision = evaluate(ctx(REQUEST, history=tuple(contact(t) for t in APRIL),
                            consents=(consent(given),)))  # fmt: skip
    assert decision.allowed
    assert decision.counters["REGF_7_CALLS_IN_7_DAYS"]["count"] == 1  # only 7 April
    assert warnings(decision) == []  # the request itself is on day 8


def test_consent_ends_at_the_first_conversation_which_starts_a_cooldown() -> None:
    given = utc(2026, 4, 7, 16, 0)
    history = tuple(contact(t) for t in APRIL) + (contact(utc(2026, 4, 7, 17, 0), "conversation"),)
    decision = evaluate(ctx(REQUEST, history=history, consents=(consent(given),)))
    assert codes(decision) == ["REGF_CONVERSATION_COOLDOWN", "REGF_7_CALLS_IN_7_DAYS"]
    assert decision.next_allowed_at == utc(2026, 4, 14, 12, 0)  # day 8 after 7 April


def test_consent_with_expiry_overrides_seven_days() -> None:
    history = tuple(contact(t) for t in APRIL)
    short = consent(utc(2026, 4, 7, 16, 0), expires=utc(2026, 4, 7, 17, 0))
    assert codes(evaluate(ctx(REQUEST, history=history, consents=(short,)))) == [
        "REGF_7_CALLS_IN_7_DAYS"
    ]


MA_CELL_CALLS = (contact(utc(2026, 4, 2, 15, 0)), contact(utc(2026, 4, 5, 15, 0), channel="sms"))


def test_massachusetts_two_per_seven_days_to_personal_numbers() -> None:
    decision = evaluate(ctx(REQUEST, address=MA, history=MA_CELL_CALLS))
    assert codes(decision) == ["MA_2_PER_7_DAYS"]
    assert clears(decision, "MA_2_PER_7_DAYS") == utc(2026, 4, 9, 4, 0)  # 2 April + 7 days
    assert decision.profiles == ("US_FEDERAL_REGF@2026-01", "US_MA_940CMR7@2026-01")
    # A voicemail that could be left counts; a busy line does not.
    busy = (MA_CELL_CALLS[0], contact(utc(2026, 4, 5, 15, 0), "busy"))
    assert evaluate(ctx(REQUEST, address=MA, history=busy)).allowed


def test_massachusetts_work_numbers_two_per_thirty_days() -> None:
    history = (
        contact(utc(2026, 3, 10, 15, 0), to=NY_WORK, to_type="work"),
        contact(utc(2026, 3, 20, 15, 0), to=NY_WORK, to_type="work"),
    )
    at_work = ctx(REQUEST, address=MA, destination=NY_WORK, destination_type="work",
                  history=history)  # fmt: skip
    decision = evaluate(at_work)
    assert codes(decision) == ["MA_2_PER_30_DAYS"]
    assert clears(decision, "MA_2_PER_30_DAYS") == utc(2026, 4, 9, 4, 0)  # 10 March + 30 days
    assert evaluate(ctx(REQUEST, address=MA, history=history)).allowed  # the cell is separate


def test_massachusetts_response_to_debtor_request_is_neither_counted_nor_capped() -> None:
    decision = evaluate(ctx(REQUEST, address=MA, history=MA_CELL_CALLS,
                            purpose="response_to_debtor_request"))  # fmt: skip
    assert decision.allowed
    assert warnings(decision) == ["MA_RESPONSE_TO_DEBTOR_REQUEST"]
    returned = (
        MA_CELL_CALLS[0],
        contact(utc(2026, 4, 5, 15, 0), purpose="response_to_debtor_request"),
    )
    assert evaluate(ctx(REQUEST, address=MA, history=returned)).allowed


def test_washington_three_per_week_all_channels_and_one_at_work() -> None:
    history = (
        contact(utc(2026, 4, 2, 15, 0), "delivered", channel="email", to="a@example.com"),
        contact(utc(2026, 4, 3, 15, 0), "delivered", channel="letter", to=None, to_type=None),
        contact(utc(2026, 4, 4, 15, 0), "reserved", channel="sms"),
    )
    assert codes(evaluate(ctx(REQUEST, address=WA, history=history))) == ["WA_3_PER_WEEK"]
    work = (contact(utc(2026, 4, 6, 18, 0), to=NY_WORK, to_type="work"),)
    at_work = ctx(REQUEST, address=WA, destination=NY_WORK, destination_type="work", history=work)
    assert codes(evaluate(at_work)) == ["WA_1_PER_WEEK_AT_WORK"]
    assert evaluate(ctx(REQUEST, address=WA, history=work)).allowed


@pytest.mark.parametrize(("third", "allowed"), [("no_answer", False), ("busy", True)])
def test_nyc_counts_attempts_on_any_channel(third: str, allowed: bool) -> None:
    history = (
        contact(utc(2026, 4, 2, 15, 0), "delivered", channel="email", to="a@example.com"),
        contact(utc(2026, 4, 3, 15, 0), "reserved", channel="sms"),
        contact(utc(2026, 4, 4, 15, 0), third),
    )
    decision = evaluate(ctx(REQUEST, address=NYC, history=history))
    assert decision.allowed is allowed
    assert "US_NYC_DCWP@2026-01" in decision.profiles
    if not allowed:
        assert codes(decision) == ["NYC_3_PER_7_DAYS"]


AU_CELL = "+61412345678"
AU_REQUEST = utc(2026, 3, 10, 1, 0)  # Tuesday 10 March, 12:00 AEDT


def test_australia_counts_actual_contacts_inbound_and_outbound() -> None:
    history = (
        contact(utc(2026, 3, 5, 1, 0), "conversation", direction="inbound", to=AU_CELL),
        contact(utc(2026, 3, 6, 1, 0), "voicemail", to=AU_CELL),
        contact(utc(2026, 3, 8, 1, 0), "delivered", channel="sms", to=AU_CELL),
    )
    unanswered = tuple(contact(utc(2026, 3, 9, h, 0), "no_answer", to=AU_CELL) for h in range(4))
    request = ctx(AU_REQUEST, address=NSW, destination=AU_CELL, history=history[:2] + unanswered)
    assert evaluate(request).allowed
    decision = evaluate(ctx(AU_REQUEST, address=NSW, destination=AU_CELL, history=history))
    assert codes(decision) == ["AU_MAX_3_CONTACTS_PER_WEEK"]
    # 5 March (AEDT) leaves the week at 00:00 on 12 March = 13:00Z on 11 March.
    assert decision.next_allowed_at == utc(2026, 3, 11, 20, 30)  # Thursday 07:30 AEDT


def test_australia_ten_contacts_per_month() -> None:
    days = [utc(2026, 2, 9, 1, 0) + timedelta(days=3 * i) for i in range(10)]  # 9 Feb … 8 Mar
    history = tuple(contact(t, "conversation", to=AU_CELL) for t in days)
    decision = evaluate(ctx(AU_REQUEST, address=NSW, destination=AU_CELL, history=history))
    assert codes(decision) == ["AU_MAX_10_CONTACTS_PER_MONTH"]
    assert decision.counters["AU_MAX_3_CONTACTS_PER_WEEK"]["count"] == 2
    assert clears(decision, "AU_MAX_10_CONTACTS_PER_MONTH") == utc(2026, 3, 10, 13, 0)


CN_CELL = "+8613800138000"


@pytest.mark.parametrize(("dials", "allowed"), [(5, True), (6, False)])
def test_china_six_unanswered_dials_per_number_per_day(dials: int, allowed: bool) -> None:
    outcomes = ["no_answer", "busy"] * 3
    history = tuple(contact(utc(2026, 5, 4, 1 + i, 0), outcomes[i], to=CN_CELL)
                    for i in range(dials))  # fmt: skip
    history += (contact(utc(2026, 5, 4, 0, 30), "conversation", to=CN_CELL),)
    request = ctx(utc(2026, 5, 4, 8, 0), address=CN, destination=CN_CELL, history=history)
    decision = evaluate(request)
    assert decision.allowed is allowed
    if not allowed:
        assert codes(decision) == ["CN_MAX_6_UNANSWERED_ATTEMPTS_PER_DAY_SAME_NUMBER"]
        assert decision.next_allowed_at == utc(2026, 5, 5, 0, 0)  # 08:00 CST next day
        other = evaluate(ctx(utc(2026, 5, 4, 8, 0), address=CN, destination="+8613900139000",
                             history=history))  # fmt: skip
        assert other.allowed


def test_rapid_redial_and_daily_concentration_warn_only() -> None:
    history = (
        contact(utc(2026, 4, 7, 13, 0), "voicemail"),
        contact(utc(2026, 4, 7, 14, 0), "busy"),
        contact(utc(2026, 4, 7, 17, 57), "no_answer"),
    )
    decision = evaluate(ctx(REQUEST, history=history))
    assert decision.allowed
    assert warnings(decision) == ["WARN_RAPID_REDIAL"]
    more = history + (contact(utc(2026, 4, 7, 15, 0), "reserved", channel="sms"),)
    decision = evaluate(ctx(REQUEST + timedelta(minutes=10), history=more))
    assert warnings(decision) == ["WARN_DAILY_CONCENTRATION"]


def test_calendar_week_across_the_spring_dst_change() -> None:
    calls = tuple(contact(utc(2026, 3, day, 15, 0)) for day in range(2, 9))  # Mon 2 … Sun 8
    decision = evaluate(ctx(utc(2026, 3, 8, 18, 0), history=calls))
    counter = decision.counters["REGF_7_CALLS_IN_7_DAYS"]
    assert (counter["window_start"], counter["window_end"]) == (
        "2026-03-02T05:00:00Z",  # 00:00 EST
        "2026-03-09T04:00:00Z",  # 00:00 EDT
    )
    assert clears(decision, "REGF_7_CALLS_IN_7_DAYS") == utc(2026, 3, 9, 4, 0)
    assert decision.next_allowed_at == utc(2026, 3, 9, 12, 0)
