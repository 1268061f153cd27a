"""US windows (08:00–21:00 in every candidate zone), DST days, zone sources, inconvenient times."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from app.rules import InconvenientTime, evaluate

from .helpers import CA, ID, codes, ctx, utc, warning_codes

# A debtor without an address gets the lender's configured profile.
REGF = ("US_FEDERAL_REGF",)

NY_WINDOW_EDGES = [
    # Saturday 7 March 2026: EST (UTC-5), 08:00 = 13:00Z.
    ("EST first minute - 1", utc(2026, 3, 7, 12, 59), utc(2026, 3, 7, 13, 0)),
    ("EST first minute", utc(2026, 3, 7, 13, 0), None),
    ("EST last second", utc(2026, 3, 8, 1, 59, 59), None),
    ("EST 21:00 is closed", utc(2026, 3, 8, 2, 0), utc(2026, 3, 8, 12, 0)),
    # Sunday 8 March 2026: DST starts, EDT (UTC-4), 08:00 = 12:00Z.
    ("DST start 07:59 EDT", utc(2026, 3, 8, 11, 59), utc(2026, 3, 8, 12, 0)),
    ("DST start 08:00 EDT", utc(2026, 3, 8, 12, 0), None),
    ("DST start 20:59 EDT", utc(2026, 3, 9, 0, 59), None),
    ("DST start 21:00 EDT", utc(2026, 3, 9, 1, 0), utc(2026, 3, 9, 12, 0)),
    # Saturday 31 October: still EDT.
    ("EDT 08:30", utc(2026, 10, 31, 12, 30), None),
    ("EDT 21:00", utc(2026, 11, 1, 1, 0), utc(2026, 11, 1, 13, 0)),
    # Sunday 1 November 2026: DST ends, EST again; 12:30Z is 07:30 local, no longer 08:30.
    ("DST end 07:30 EST", utc(2026, 11, 1, 12, 30), utc(2026, 11, 1, 13, 0)),
    ("DST end 08:00 EST", utc(2026, 11, 1, 13, 0), None),
    ("DST end 20:59 EST", utc(2026, 11, 2, 1, 59), None),
    ("DST end 21:00 EST", utc(2026, 11, 2, 2, 0), utc(2026, 11, 2, 13, 0)),
]


@pytest.mark.parametrize(("case", "instant", "next_allowed"), NY_WINDOW_EDGES)
def test_new_york_window_edges(case: str, instant: datetime, next_allowed: datetime | None) -> None:
    decision = evaluate(ctx(instant))
    if next_allowed is None:
        assert decision.decision == "allow", case
        assert decision.reasons == () and decision.next_allowed_at is None
    else:
        assert codes(decision) == ["OUTSIDE_TIME_WINDOW"], case
        assert decision.reasons[0].clears_at == next_allowed
        assert decision.next_allowed_at == next_allowed


IDAHO_208 = [
    # 1 June 2026: Boise MDT (UTC-6), Los Angeles PDT (UTC-7).
    (utc(2026, 6, 1, 14, 30), utc(2026, 6, 1, 15, 0)),  # Boise 08:30, LA 07:30
    (utc(2026, 6, 1, 15, 0), None),
    (utc(2026, 6, 2, 2, 59), None),  # Boise 20:59, LA 19:59
    (utc(2026, 6, 2, 3, 0), utc(2026, 6, 2, 15, 0)),  # Boise 21:00
]


@pytest.mark.parametrize(("instant", "next_allowed"), IDAHO_208)
def test_area_code_208_spans_boise_and_los_angeles(
    instant: datetime, next_allowed: datetime | None
) -> None:
    decision = evaluate(ctx(instant, address=None, destination="+12085551234", profiles=REGF))
    assert [(z.tz, z.source) for z in decision.candidate_zones] == [
        ("America/Boise", "phone"),
        ("America/Los_Angeles", "phone"),
    ]
    assert decision.next_allowed_at == next_allowed
    assert decision.decision == ("allow" if next_allowed is None else "block")


def test_address_and_phone_in_different_zones_must_both_be_inside() -> None:
    context = ctx(utc(2026, 6, 1, 14, 0), address=CA, destination="+12125550100")
    decision = evaluate(context)  # New York 10:00, Los Angeles 07:00
    assert [(z.tz, z.source) for z in decision.candidate_zones] == [
        ("America/Los_Angeles", "address"),
        ("America/New_York", "phone"),
    ]
    assert codes(decision) == ["OUTSIDE_TIME_WINDOW"]
    assert decision.next_allowed_at == utc(2026, 6, 1, 15, 0)
    late = evaluate(ctx(utc(2026, 6, 2, 1, 30), address=CA, destination="+12125550100"))
    assert codes(late) == ["OUTSIDE_TIME_WINDOW"]  # New York 21:30, Los Angeles 18:30
    assert late.next_allowed_at == utc(2026, 6, 2, 15, 0)


def test_local_times_carry_the_zone_offset() -> None:
    decision = evaluate(
        ctx(utc(2026, 6, 1, 14, 30), address=None, destination="+12085551234", profiles=REGF)
    )
    zones = decision.to_dict()["candidate_zones"]
    assert zones[0] == {
        "tz": "America/Boise",
        "local_time": "2026-06-01T08:30:00-06:00",
        "source": "phone",
    }
    assert zones[1]["local_time"] == "2026-06-01T07:30:00-07:00"


def test_toll_free_number_adds_no_zone_and_the_us_default_set_applies() -> None:
    # Summer: Honolulu opens last (08:00 HST = 18:00Z), New York closes first (01:00Z).
    context = ctx(utc(2026, 6, 1, 17, 59), address=None, destination="+18005551234", profiles=REGF)
    decision = evaluate(context)
    assert {z.source for z in decision.candidate_zones} == {"default"}
    assert [z.tz for z in decision.candidate_zones][0] == "America/New_York"
    assert len(decision.candidate_zones) == 7
    assert decision.next_allowed_at == utc(2026, 6, 1, 18, 0)
    assert evaluate(
        ctx(utc(2026, 6, 2, 0, 59), address=None, destination="+18005551234", profiles=REGF)
    ).allowed
    assert not evaluate(
        ctx(utc(2026, 6, 2, 1, 0), address=None, destination="+18005551234", profiles=REGF)
    ).allowed


def test_toll_free_number_with_an_address_uses_the_address_only() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 12, 30), destination="+18005551234"))
    assert [(z.tz, z.source) for z in decision.candidate_zones] == [("America/New_York", "address")]
    assert decision.allowed


def test_explicit_timezone_wins_over_the_address() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 12, 30), debtor_timezone="America/Chicago"))
    assert decision.candidate_zones[0].tz == "America/Chicago"
    assert decision.candidate_zones[0].source == "timezone"
    assert codes(decision) == ["OUTSIDE_TIME_WINDOW"]  # 07:30 in Chicago


def test_email_uses_location_zones_only() -> None:
    # A Los Angeles address with a New York number: an email ignores the number's zone.
    context = ctx(utc(2026, 6, 2, 1, 30), address=CA, channel="email", destination="a@example.com")
    decision = evaluate(context)
    assert [z.tz for z in decision.candidate_zones] == ["America/Los_Angeles"]
    assert decision.allowed


def test_us_letters_have_no_window() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 6, 0), channel="letter", destination=None))
    assert decision.allowed


def test_sms_is_windowed_like_calls() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 11, 0), channel="sms"))
    assert codes(decision) == ["OUTSIDE_TIME_WINDOW"]


def test_debtor_designated_inconvenient_time_in_primary_zone() -> None:
    lunch = InconvenientTime(("mon", "tue", "wed", "thu", "fri"), time(12, 0), time(13, 0))
    context = ctx(utc(2026, 6, 1, 16, 30), inconvenient_times=(lunch,))  # Monday 12:30 EDT
    decision = evaluate(context)
    assert codes(decision) == ["DEBTOR_DESIGNATED_INCONVENIENT_TIME"]
    assert decision.next_allowed_at == utc(2026, 6, 1, 17, 0)
    assert evaluate(ctx(utc(2026, 6, 1, 17, 0), inconvenient_times=(lunch,))).allowed
    assert evaluate(ctx(utc(2026, 6, 6, 16, 30), inconvenient_times=(lunch,))).allowed  # Saturday


def test_overnight_inconvenient_time_then_window() -> None:
    evenings = InconvenientTime(("mon",), time(19, 0), time(9, 0))
    context = ctx(utc(2026, 6, 1, 23, 30), inconvenient_times=(evenings,))  # Monday 19:30 EDT
    decision = evaluate(context)
    assert codes(decision) == ["DEBTOR_DESIGNATED_INCONVENIENT_TIME"]
    assert decision.next_allowed_at == utc(2026, 6, 2, 13, 0)  # Tuesday 09:00 EDT


def test_idaho_address_maps_to_both_of_its_zones() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 14, 30), address=ID, destination=None))
    assert [(z.tz, z.source) for z in decision.candidate_zones] == [
        ("America/Boise", "address"),
        ("America/Los_Angeles", "address"),
    ]
    assert decision.next_allowed_at == utc(2026, 6, 1, 15, 0)
    assert warning_codes(decision) == []
