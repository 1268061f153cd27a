"""Profile selection, the address and phone zone tables, presets as data, decision JSON."""

from __future__ import annotations

import json

import pytest

from app.rules import (
    KNOWN_PROFILE_CODES,
    PRESETS,
    Address,
    UnknownProfile,
    address_zones,
    applicable_profiles,
    evaluate,
    list_presets,
    normalise_zone,
    phone_zones,
    preset_as_dict,
)

from .helpers import NY, ctx, utc

PROFILE_CASES = [
    ("person", Address("US", "NY", "Albany", "12207"), (), ("US_FEDERAL_REGF",)),
    ("person", Address("US", "MA", "Boston", None), (), ("US_FEDERAL_REGF", "US_MA_940CMR7")),
    ("person", Address("US", "WA", None, None), (), ("US_FEDERAL_REGF", "US_WA_RCW19_16")),
    ("person", Address("US", "NY", "staten  island", None), (), ("US_FEDERAL_REGF", "US_NYC_DCWP")),
    ("person", Address("US", "NY", "MANHATTAN", None), (), ("US_FEDERAL_REGF", "US_NYC_DCWP")),
    ("person", Address("US", "NY", None, "10451"), (), ("US_FEDERAL_REGF", "US_NYC_DCWP")),
    ("person", Address("US", "NY", None, "11697-1234"), (), ("US_FEDERAL_REGF", "US_NYC_DCWP")),
    ("person", Address("US", "NY", "Yonkers", "10701"), (), ("US_FEDERAL_REGF",)),
    ("person", Address("US", "NY", None, "11501"), (), ("US_FEDERAL_REGF",)),
    ("person", Address("US", "NY", None, "11500"), (), ("US_FEDERAL_REGF",)),
    ("person", Address("US", "NY", None, "11432"), (), ("US_FEDERAL_REGF", "US_NYC_DCWP")),
    ("person", Address("US", "NJ", "New York", "07030"), (), ("US_FEDERAL_REGF",)),
    ("person", Address("AU", "VIC", None, None), (), ("AU_ACCC_ASIC",)),
    ("person", Address("GB", None, None, None), (), ("GB_FCA_CONC",)),
    ("person", Address("IN", None, None, None), (), ("IN_RBI",)),
    ("person", Address("CN", None, None, None), (), ("CN_CBA_2026",)),
    ("person", Address("FR", None, None, None), (), ()),
    ("person", None, ("GB_FCA_CONC",), ("GB_FCA_CONC",)),
    ("person", Address("US", "MA", None, None), ("US_FEDERAL_REGF", "CN_CBA_2026"),
     ("US_FEDERAL_REGF", "US_MA_940CMR7", "CN_CBA_2026")),
    ("company", Address("US", "MA", None, None), (), ("B2B_BUSINESS_HOURS",)),
    ("company", Address("US", "MA", None, None), ("US_FEDERAL_REGF",),
     ("US_FEDERAL_REGF", "B2B_BUSINESS_HOURS")),
    ("person", Address("US", "NY", None, None), ("B2B_BUSINESS_HOURS",),
     ("US_FEDERAL_REGF", "B2B_BUSINESS_HOURS")),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "address", "explicit", "expected"), PROFILE_CASES)
def test_applicable_profiles(
    kind: str, address: Address | None, explicit: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert applicable_profiles(kind, address, explicit) == expected


def test_unknown_profile_codes_are_refused() -> None:
    assert "US_FEDERAL_REGF" in KNOWN_PROFILE_CODES and "US_CA" not in KNOWN_PROFILE_CODES
    with pytest.raises(UnknownProfile):
        applicable_profiles("person", NY, ("US_CA",))


def test_presets_are_json_ready_data_with_versions() -> None:
    listed = list_presets()
    assert [p["code"] for p in listed] == list(PRESETS)
    assert set(KNOWN_PROFILE_CODES) == {p["code"] for p in listed}
    json.dumps(listed)
    regf = preset_as_dict("US_FEDERAL_REGF")
    assert regf["version"] == "2026-01"
    assert regf["time_windows"][0]["weekly"]["mon"] == ["08:00", "21:00"]
    assert "letter" not in regf["time_windows"][0]["channels"]
    cap = next(lim for lim in regf["limits"] if lim["reason"] == "REGF_7_CALLS_IN_7_DAYS")
    assert cap["max"] == 7 and cap["window"] == {"unit": "calendar_days", "length": 7}
    assert "busy" not in cap["counted_outcomes"] and "reserved" in cap["counted_outcomes"]
    au = preset_as_dict("AU_ACCC_ASIC")
    assert au["time_windows"][0]["weekly"]["sat"] == ["09:00", "21:00"]
    assert au["time_windows"][0]["holiday_calendar"] == "AU"
    assert preset_as_dict("IN_RBI")["time_windows"][0]["zone"] == "Asia/Kolkata"
    with pytest.raises(KeyError):
        preset_as_dict("NOPE")


@pytest.mark.parametrize(
    ("country", "subdivision", "expected"),
    [
        ("US", "FL", ("America/New_York", "America/Chicago")),
        ("US", "TX", ("America/Chicago", "America/Denver")),
        ("US", "ID", ("America/Boise", "America/Los_Angeles")),
        ("us", "us-ny", ("America/New_York",)),
        ("AU", "NSW", ("Australia/Sydney",)),
        ("AU", "WA", ("Australia/Perth",)),
        ("CN", None, ("Asia/Shanghai",)),
        ("IN", "MH", ("Asia/Kolkata",)),
        ("GB", "ENG", ("Europe/London",)),
        ("US", None, ()),
        ("ZZ", None, ()),
    ],
)
def test_address_zone_table(
    country: str, subdivision: str | None, expected: tuple[str, ...]
) -> None:
    assert address_zones(country, subdivision) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+12085551234", ("America/Boise", "America/Los_Angeles")),
        ("+14155551234", ("America/Los_Angeles",)),
        ("+18005551234", ()),  # toll-free: dozens of zones
        ("+919812345678", ("Asia/Kolkata",)),  # phonenumbers says Asia/Calcutta
        ("+61291234567", ("Australia/Sydney",)),
        ("not a number", ()),
    ],
)
def test_phone_zones(number: str, expected: tuple[str, ...]) -> None:
    assert phone_zones(number) == expected


def test_legacy_zone_names() -> None:
    assert normalise_zone("Asia/Calcutta") == "Asia/Kolkata"
    assert normalise_zone("Europe/Paris") == "Europe/Paris"


def test_default_zone_set_sets_the_primary_zone() -> None:
    # No address, no geographic number: the US set, New York first, counts dates.
    decision = evaluate(ctx(utc(2026, 6, 1, 20, 0), address=None, destination="+18005551234",
                            profiles=("US_FEDERAL_REGF",)))  # fmt: skip
    assert decision.candidate_zones[0].tz == "America/New_York"
    assert decision.counters["REGF_7_CALLS_IN_7_DAYS"]["zone"] == "America/New_York"


def test_phone_zone_is_primary_without_a_location() -> None:
    decision = evaluate(ctx(utc(2026, 6, 1, 20, 0), address=None, destination="+14155551234",
                            profiles=("US_FEDERAL_REGF",)))  # fmt: skip
    assert decision.counters["REGF_7_CALLS_IN_7_DAYS"]["zone"] == "America/Los_Angeles"


def test_decision_json() -> None:
    decision = evaluate(ctx(utc(2026, 3, 8, 11, 59, 30)))
    out = decision.to_dict()
    json.dumps(out)
    assert out["decision"] == "block"
    assert out["reasons"][0]["clears_at"] == "2026-03-08T12:00:00Z"
    assert out["next_allowed_at"] == "2026-03-08T12:00:00Z"
    assert out["evaluated_at"] == "2026-03-08T11:59:30Z"
    assert out["candidate_zones"] == [
        {"tz": "America/New_York", "local_time": "2026-03-08T07:59:30-04:00", "source": "address"}
    ]
    assert out["profiles"] == ["US_FEDERAL_REGF@2026-01"]
    assert out["warnings"] == []
    allowed = evaluate(ctx(utc(2026, 3, 8, 12, 0))).to_dict()
    assert allowed["reasons"] == [] and allowed["next_allowed_at"] is None


def test_naive_instants_are_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError):
        evaluate(ctx(datetime(2026, 3, 8, 12, 0)))
