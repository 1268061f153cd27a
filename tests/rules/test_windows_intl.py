"""Australia, India, China, business hours and the UK: windows, holidays and zone-named rows."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.rules import Address, evaluate, parse_lender_rules

from .helpers import CN, GB, IN, NSW, NY, codes, consent, ctx, utc, warning_codes

AU_CELL = "+61412345678"  # a mobile: no geographic zone, the address decides
AU_EDGES = [
    # (case, instant, channel, destination type, expected codes, next allowed)
    # Tuesday 10 March 2026, Sydney AEDT (UTC+11): weekdays 07:30–21:00.
    ("weekday 07:29", utc(2026, 3, 9, 20, 29), "phone", "cell", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 3, 9, 20, 30)),
    ("weekday 07:30", utc(2026, 3, 9, 20, 30), "phone", "cell", [], None),
    ("weekday 20:59", utc(2026, 3, 10, 9, 59), "sms", "cell", [], None),
    ("weekday 21:00", utc(2026, 3, 10, 10, 0), "sms", "cell", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 3, 10, 20, 30)),
    # Saturday 14 March: 09:00–21:00.
    ("saturday 08:59", utc(2026, 3, 13, 21, 59), "phone", "cell", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 3, 13, 22, 0)),
    ("saturday 09:00", utc(2026, 3, 13, 22, 0), "phone", "cell", [], None),
    ("saturday 21:00 → sunday 09:00", utc(2026, 3, 14, 10, 0), "email", "personal",
     ["OUTSIDE_TIME_WINDOW"], utc(2026, 3, 14, 22, 0)),
    ("sunday 20:59", utc(2026, 3, 15, 9, 59), "phone", "cell", [], None),
    ("sunday 21:00 → monday 07:30", utc(2026, 3, 15, 10, 0), "phone", "cell",
     ["OUTSIDE_TIME_WINDOW"], utc(2026, 3, 15, 20, 30)),
    # Visits 09:00–21:00 every day; the workplace 09:00–17:00 on weekdays.
    ("visit weekday 08:00", utc(2026, 3, 9, 21, 0), "visit", "home", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 3, 9, 22, 0)),
    ("work 17:00", utc(2026, 3, 10, 6, 0), "phone", "work", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 3, 10, 22, 0)),
    ("work 16:59", utc(2026, 3, 10, 5, 59), "phone", "work", [], None),
    ("work saturday", utc(2026, 3, 14, 0, 0), "phone", "work", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 3, 15, 22, 0)),
    # Australia Day, Monday 26 January 2026: closed all day, reopens Tuesday 07:30.
    ("Australia Day 10:00", utc(2026, 1, 25, 23, 0), "phone", "cell", ["PUBLIC_HOLIDAY"],
     utc(2026, 1, 26, 20, 30)),
    ("Australia Day 06:00", utc(2026, 1, 25, 19, 0), "phone", "cell",
     ["PUBLIC_HOLIDAY", "OUTSIDE_TIME_WINDOW"], utc(2026, 1, 26, 20, 30)),
    ("day after Australia Day 07:30", utc(2026, 1, 26, 20, 30), "phone", "cell", [], None),
    ("Australia Day letter", utc(2026, 1, 25, 23, 0), "letter", None, [], None),
    # Sunday 5 April 2026 03:00 AEDT → AEST (UTC+10); Monday 6 April is Easter Monday.
    ("Easter Monday after DST end", utc(2026, 4, 5, 22, 0), "phone", "cell", ["PUBLIC_HOLIDAY"],
     utc(2026, 4, 6, 21, 30)),
    ("Tuesday 06:29 AEST", utc(2026, 4, 6, 20, 29), "phone", "cell", ["OUTSIDE_TIME_WINDOW"],
     utc(2026, 4, 6, 21, 30)),
    ("Good Friday", utc(2026, 4, 2, 23, 0), "phone", "cell", ["PUBLIC_HOLIDAY"],
     utc(2026, 4, 3, 22, 0)),  # Saturday 09:00 AEDT
]  # fmt: skip


@pytest.mark.parametrize(("case", "instant", "channel", "to_type", "expected", "next_allowed"),
                         AU_EDGES)  # fmt: skip
def test_australia(
    case: str, instant: datetime, channel: str, to_type: str | None, expected: list[str],
    next_allowed: datetime | None,
) -> None:  # fmt: skip
    to = {"email": "a@example.com", "letter": None, "visit": None}.get(channel, AU_CELL)
    decision = evaluate(ctx(instant, address=NSW, channel=channel, destination=to,
                            destination_type=to_type))  # fmt: skip
    assert codes(decision) == expected, case
    assert decision.next_allowed_at == next_allowed, case
    assert decision.profiles == ("AU_ACCC_ASIC@2026-01",)


def test_australia_without_subdivision_checks_every_state_zone() -> None:
    # Perth (UTC+8) opens last: weekday 07:30 AWST = 23:30Z the day before.
    context = ctx(utc(2026, 3, 9, 23, 0), address=Address("AU", None, None, None),
                  destination=AU_CELL)  # fmt: skip
    decision = evaluate(context)
    assert "Australia/Perth" in [z.tz for z in decision.candidate_zones]
    assert decision.next_allowed_at == utc(2026, 3, 9, 23, 30)


INDIA = [
    (utc(2026, 5, 4, 13, 29), "phone", [], None),  # 18:59 IST
    (utc(2026, 5, 4, 13, 30), "phone", ["OUTSIDE_TIME_WINDOW"], utc(2026, 5, 5, 2, 30)),
    (utc(2026, 5, 5, 2, 29), "phone", ["OUTSIDE_TIME_WINDOW"], utc(2026, 5, 5, 2, 30)),
    (utc(2026, 5, 4, 14, 0), "sms", [], None),  # phone only
]


@pytest.mark.parametrize(("instant", "channel", "expected", "next_allowed"), INDIA)
def test_india_phone_until_19_in_kolkata(
    instant: datetime, channel: str, expected: list[str], next_allowed: datetime | None
) -> None:
    decision = evaluate(ctx(instant, address=IN, channel=channel, destination="+919812345678",
                            destination_type="cell"))  # fmt: skip
    assert codes(decision) == expected
    assert decision.next_allowed_at == next_allowed
    assert {z.tz for z in decision.candidate_zones} == {"Asia/Kolkata"}


def test_legacy_calcutta_zone_is_normalised() -> None:
    context = ctx(utc(2026, 5, 4, 13, 30), address=None, debtor_timezone="Asia/Calcutta",
                  profiles=("IN_RBI",), destination="+919812345678")  # fmt: skip
    decision = evaluate(context)
    assert [(z.tz, z.source) for z in decision.candidate_zones] == [("Asia/Kolkata", "timezone")]
    assert codes(decision) == ["OUTSIDE_TIME_WINDOW"]


CN_CELL = "+8613800138000"
CHINA = [
    (utc(2026, 5, 4, 13, 59), "phone", False, [], None),  # 21:59 CST
    (utc(2026, 5, 4, 14, 0), "phone", False, ["OUTSIDE_TIME_WINDOW"], utc(2026, 5, 5, 0, 0)),
    (utc(2026, 5, 4, 14, 0), "phone", True, [], None),
    (utc(2026, 5, 4, 23, 59), "sms", False, ["OUTSIDE_TIME_WINDOW"], utc(2026, 5, 5, 0, 0)),
    (utc(2026, 5, 5, 0, 0), "sms", False, [], None),
    (utc(2026, 5, 4, 16, 0), "letter", False, [], None),
]


@pytest.mark.parametrize(("instant", "channel", "consented", "expected", "next_allowed"), CHINA)
def test_china_night_ban_and_outside_hours_consent(
    instant: datetime, channel: str, consented: bool, expected: list[str],
    next_allowed: datetime | None,
) -> None:  # fmt: skip
    consents = (consent(utc(2026, 5, 1), "outside_hours", channel=None),) if consented else ()
    decision = evaluate(ctx(instant, address=CN, channel=channel, destination=CN_CELL,
                            consents=consents))  # fmt: skip
    assert codes(decision) == expected
    assert decision.next_allowed_at == next_allowed


def test_expired_outside_hours_consent_no_longer_lifts_the_ban() -> None:
    expired = consent(utc(2026, 5, 1), "outside_hours", expires=utc(2026, 5, 3))
    decision = evaluate(ctx(utc(2026, 5, 4, 14, 0), address=CN, destination=CN_CELL,
                            consents=(expired,)))  # fmt: skip
    assert codes(decision) == ["OUTSIDE_TIME_WINDOW"]


def test_zone_named_row_is_checked_in_its_zone_only() -> None:
    # A New York debtor whose lender also applies the China guideline: 09:30 EDT is 21:30 CST.
    context = ctx(utc(2026, 5, 4, 13, 30), profiles=("CN_CBA_2026",))
    decision = evaluate(context)
    assert decision.allowed
    assert [(z.tz, z.source) for z in decision.candidate_zones] == [
        ("America/New_York", "address"),
        ("Asia/Shanghai", "profile"),
    ]
    blocked = evaluate(ctx(utc(2026, 5, 4, 14, 30), profiles=("CN_CBA_2026",)))
    assert codes(blocked) == ["OUTSIDE_TIME_WINDOW"]
    assert blocked.next_allowed_at == utc(2026, 5, 5, 0, 0)  # 08:00 CST, 20:00 EDT


COMPANY_NY = [
    (utc(2026, 11, 25, 13, 59), ["OUTSIDE_TIME_WINDOW"], utc(2026, 11, 25, 14, 0)),  # Wed 08:59
    (utc(2026, 11, 25, 22, 59), [], None),  # Wednesday 17:59 EST
    (utc(2026, 11, 25, 23, 0), ["OUTSIDE_TIME_WINDOW"], utc(2026, 11, 27, 14, 0)),  # → Friday
    (utc(2026, 11, 26, 15, 0), ["PUBLIC_HOLIDAY"], utc(2026, 11, 27, 14, 0)),  # Thanksgiving
    (utc(2026, 11, 28, 15, 0), ["OUTSIDE_TIME_WINDOW"], utc(2026, 11, 30, 14, 0)),  # Saturday
]


@pytest.mark.parametrize(("instant", "expected", "next_allowed"), COMPANY_NY)
def test_company_debtors_get_business_hours_and_holidays(
    instant: datetime, expected: list[str], next_allowed: datetime | None
) -> None:
    decision = evaluate(ctx(instant, debtor_kind="company", address=NY))
    assert decision.profiles == ("B2B_BUSINESS_HOURS@2026-01",)
    assert codes(decision) == expected
    assert decision.next_allowed_at == next_allowed


def test_company_debtor_without_any_zone_is_unresolvable() -> None:
    decision = evaluate(ctx(utc(2026, 11, 25, 15, 0), debtor_kind="company", address=None,
                            destination="+18005551234"))  # fmt: skip
    assert codes(decision) == ["LOCATION_UNRESOLVABLE"]
    assert decision.reasons[0].clears_at is None and decision.next_allowed_at is None


def test_uk_has_no_statutory_hours_until_the_lender_sets_them() -> None:
    night = utc(2026, 6, 1, 2, 0)  # 03:00 BST
    decision = evaluate(ctx(night, address=GB, destination="+447700900123"))
    assert decision.allowed
    assert warning_codes(decision) == ["WARN_NO_LENDER_HOURS"]
    hours = parse_lender_rules([{"name": "UK_HOURS", "type": "time_window",
                                 "weekly": {d: ["08:00", "21:00"] for d in
                                            ("mon", "tue", "wed", "thu", "fri", "sat")}}])  # fmt: skip
    decision = evaluate(ctx(night, address=GB, destination="+447700900123", lender_rules=hours))
    assert codes(decision) == ["POLICY_UK_HOURS"]
    assert warning_codes(decision) == []
    assert decision.next_allowed_at == utc(2026, 6, 1, 7, 0)  # 08:00 BST
