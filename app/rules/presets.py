"""The built-in presets of COMPLIANCE.md §1 as data, and which ones apply to a debtor (§1, §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.rules.specs import (
    ACTUAL_CONTACT_OUTCOMES,
    ATTEMPT_OUTCOMES,
    BOTH_DIRECTIONS,
    CHANNELS,
    NON_LETTER_CHANNELS,
    OUTBOUND,
    RIGHT_PARTY_OUTCOMES,
    UNANSWERED_OUTCOMES,
    Hours,
    Limit,
    Window,
    every_day,
    weekdays_weekend,
)
from app.rules.zone_table import AU_DEFAULT_ZONES, US_DEFAULT_ZONES

VERSION = "2026-01"
OUTSIDE = "OUTSIDE_TIME_WINDOW"
PERSONAL_NUMBERS = frozenset({"cell", "home", "personal"})
OTHER_NUMBERS = frozenset({"work", "other"})
PHONE_SMS = frozenset({"phone", "sms"})
PHONE = frozenset({"phone"})


@dataclass(frozen=True, slots=True)
class Preset:
    """A built-in compliance profile: its windows, limits and default zone set."""

    code: str
    version: str
    title: str
    source: str
    windows: tuple[Window, ...] = ()
    limits: tuple[Limit, ...] = ()
    default_zones: tuple[str, ...] = ()
    # GB: no statutory hours, so the lender must configure a time_window rule.
    needs_lender_hours: bool = False

    @property
    def label(self) -> str:
        """`CODE@version`, as decisions record it."""
        return f"{self.code}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for `GET /v1/compliance/profiles/{code}`."""
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "source": self.source,
            "time_windows": [window.as_dict() for window in self.windows],
            "limits": [limit.as_dict() for limit in self.limits],
            "default_zones": list(self.default_zones),
            "requires_lender_time_window": self.needs_lender_hours,
        }


def _us_window(start: str = "08:00") -> Window:
    return Window(OUTSIDE, NON_LETTER_CHANNELS, every_day(start, "21:00"))


def _weekly(code: str, cap: int, channels: frozenset[str], outcomes: frozenset[str],
            days: int = 7, **extra: Any) -> Limit:  # fmt: skip
    directions = extra.pop("directions", OUTBOUND)
    return Limit(code, "cap", cap, channels, outcomes, directions, "calendar_days", days, **extra)


_AU_EVERYDAY = Hours(9 * 60, 21 * 60)

PRESETS: dict[str, Preset] = {
    preset.code: preset
    for preset in (
        Preset(
            "US_FEDERAL_REGF",
            VERSION,
            "US federal: FDCPA and Regulation F",
            "FDCPA 1692c(a)(1); 12 CFR 1006.6(b), 1006.14(b)(2)-(4)",
            windows=(_us_window(),),
            limits=(
                Limit(
                    "REGF_CONVERSATION_COOLDOWN",
                    "cooldown",
                    1,
                    PHONE,
                    RIGHT_PARTY_OUTCOMES,
                    BOTH_DIRECTIONS,
                    "calendar_days",
                    7,
                    consent_exempt=True,
                ),
                _weekly("REGF_7_CALLS_IN_7_DAYS", 7, PHONE, ATTEMPT_OUTCOMES, consent_exempt=True),
            ),  # fmt: skip
            default_zones=US_DEFAULT_ZONES,
        ),
        Preset(
            "US_MA_940CMR7",
            VERSION,
            "Massachusetts 940 CMR 7.00",
            "940 CMR 7.04(1)(f)",
            windows=(_us_window(),),
            limits=(
                _weekly(
                    "MA_2_PER_7_DAYS",
                    2,
                    PHONE_SMS,
                    ATTEMPT_OUTCOMES,
                    destination_types=PERSONAL_NUMBERS,
                    exempt_purposes=frozenset({"response_to_debtor_request"}),
                ),
                _weekly(
                    "MA_2_PER_30_DAYS",
                    2,
                    PHONE_SMS,
                    ATTEMPT_OUTCOMES,
                    days=30,
                    destination_types=OTHER_NUMBERS,
                    exempt_purposes=frozenset({"response_to_debtor_request"}),
                ),
            ),  # fmt: skip
            default_zones=US_DEFAULT_ZONES,
        ),
        Preset(
            "US_WA_RCW19_16",
            VERSION,
            "Washington RCW 19.16",
            "RCW 19.16.250",
            windows=(_us_window("07:30"),),
            limits=(
                _weekly("WA_3_PER_WEEK", 3, CHANNELS, ATTEMPT_OUTCOMES),
                _weekly(
                    "WA_1_PER_WEEK_AT_WORK",
                    1,
                    CHANNELS,
                    ATTEMPT_OUTCOMES,
                    destination_types=frozenset({"work"}),
                ),
            ),  # fmt: skip
            default_zones=US_DEFAULT_ZONES,
        ),
        Preset(
            "US_NYC_DCWP",
            VERSION,
            "New York City DCWP",
            "6 RCNY 5-77",
            windows=(_us_window(),),
            limits=(_weekly("NYC_3_PER_7_DAYS", 3, CHANNELS, ATTEMPT_OUTCOMES),),
            default_zones=US_DEFAULT_ZONES,
        ),
        Preset(
            "AU_ACCC_ASIC",
            VERSION,
            "Australia ACCC/ASIC debt collection guideline",
            "ACCC/ASIC Debt collection guideline 2021, Part 2 ss3-5",
            windows=(
                Window(
                    OUTSIDE,
                    frozenset({"phone", "sms", "email"}),
                    weekdays_weekend(Hours(7 * 60 + 30, 21 * 60), _AU_EVERYDAY),
                    holiday_country="AU",
                ),
                Window(OUTSIDE, frozenset({"visit"}), (_AU_EVERYDAY,) * 7, holiday_country="AU"),
                Window(
                    OUTSIDE,
                    NON_LETTER_CHANNELS,
                    weekdays_weekend(Hours(540, 1020), None),
                    destination_types=frozenset({"work"}),
                    holiday_country="AU",
                ),
            ),  # fmt: skip
            limits=(
                _weekly(
                    "AU_MAX_3_CONTACTS_PER_WEEK",
                    3,
                    CHANNELS,
                    ACTUAL_CONTACT_OUTCOMES,
                    directions=BOTH_DIRECTIONS,
                ),
                _weekly(
                    "AU_MAX_10_CONTACTS_PER_MONTH",
                    10,
                    CHANNELS,
                    ACTUAL_CONTACT_OUTCOMES,
                    days=30,
                    directions=BOTH_DIRECTIONS,
                ),
            ),  # fmt: skip
            default_zones=AU_DEFAULT_ZONES,
        ),
        Preset(
            "GB_FCA_CONC",
            VERSION,
            "UK FCA CONC and Debt Respite Scheme",
            "CONC 7.9; SI 2020/1311 reg 11",
            default_zones=("Europe/London",),
            needs_lender_hours=True,
        ),
        Preset(
            "IN_RBI",
            VERSION,
            "India RBI recovery agents",
            "RBI recovery-agent circular, 12 Aug 2022",
            windows=(Window(OUTSIDE, PHONE, every_day("08:00", "19:00"), zone="Asia/Kolkata"),),
            default_zones=("Asia/Kolkata",),
        ),
        Preset(
            "CN_CBA_2026",
            VERSION,
            "China Banking Association consumer-loan collection",
            "China Banking Association consumer-loan collection guideline, 30 Jan 2026",
            windows=(
                Window(
                    OUTSIDE,
                    NON_LETTER_CHANNELS,
                    every_day("08:00", "22:00"),
                    zone="Asia/Shanghai",
                    lifted_by_consent="outside_hours",
                ),
            ),  # fmt: skip
            limits=(
                Limit(
                    "CN_MAX_6_UNANSWERED_ATTEMPTS_PER_DAY_SAME_NUMBER",
                    "cap",
                    6,
                    PHONE,
                    UNANSWERED_OUTCOMES,
                    OUTBOUND,
                    "calendar_days",
                    1,
                    per="destination",
                    zone="Asia/Shanghai",
                ),
            ),  # fmt: skip
            default_zones=("Asia/Shanghai",),
        ),
        Preset(
            "B2B_BUSINESS_HOURS",
            VERSION,
            "Business debtors: business hours",
            "-",
            windows=(
                Window(
                    OUTSIDE,
                    NON_LETTER_CHANNELS,
                    weekdays_weekend(Hours(540, 1080), None),
                    holiday_country="address",
                ),
            ),  # fmt: skip
        ),
    )
}

KNOWN_PROFILE_CODES: frozenset[str] = frozenset(PRESETS)


def preset_as_dict(code: str) -> dict[str, Any]:
    """One preset, JSON-ready; KeyError when unknown."""
    return PRESETS[code].as_dict()


def list_presets() -> list[dict[str, Any]]:
    """Every preset, JSON-ready, in evaluation order."""
    return [preset.as_dict() for preset in PRESETS.values()]
