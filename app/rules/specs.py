"""Rule data shared by the presets and lenders' own rules: hours, windows and limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHANNELS = frozenset({"phone", "sms", "email", "letter", "visit"})
NON_LETTER_CHANNELS = CHANNELS - {"letter"}
DESTINATION_TYPES = frozenset({"cell", "home", "work", "personal", "other"})

RIGHT_PARTY_OUTCOMES = frozenset(
    {"conversation", "promise_to_pay", "refused", "dispute_raised", "cease_requested",
     "callback_requested"}
)  # fmt: skip
# The dial never reached the network: the frequency slot it reserved is given back.
RELEASED_OUTCOMES = frozenset({"busy", "network_error", "not_in_service"})
OUTCOMES = RIGHT_PARTY_OUTCOMES | RELEASED_OUTCOMES | {
    "reserved", "no_answer", "voicemail", "limited_content_message", "third_party",
    "wrong_number", "delivered", "bounced",
}  # fmt: skip
# Reg F counts every placed attempt; lenders' caps default to the same set.
ATTEMPT_OUTCOMES = OUTCOMES - RELEASED_OUTCOMES
ACTUAL_CONTACT_OUTCOMES = RIGHT_PARTY_OUTCOMES | {
    "voicemail",
    "limited_content_message",
    "delivered",
}
UNANSWERED_OUTCOMES = frozenset({"no_answer", "busy"})

PURPOSES = frozenset(
    {"collection", "cease_termination_notice", "remedy_notice", "verification",
     "opt_out_confirmation", "response_to_debtor_request", "response_to_query_or_complaint",
     "statutory_notice"}
)  # fmt: skip

BOTH_DIRECTIONS = frozenset({"outbound", "inbound"})
OUTBOUND = frozenset({"outbound"})


def hhmm(minute: int) -> str:
    """Format minutes after midnight as HH:MM (1440 is 24:00)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_hhmm(text: str) -> int:
    """Parse HH:MM into minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class Hours:
    """Half-open opening hours [start, end) in minutes after local midnight."""

    start: int
    end: int

    def as_list(self) -> list[str]:
        """JSON form: ["HH:MM", "HH:MM"]."""
        return [hhmm(self.start), hhmm(self.end)]


Weekly = tuple[Hours | None, ...]


def every_day(start: str, end: str) -> Weekly:
    """The same hours on all seven days."""
    hours = Hours(parse_hhmm(start), parse_hhmm(end))
    return (hours,) * 7


def weekdays_weekend(weekday: Hours | None, weekend: Hours | None) -> Weekly:
    """Monday–Friday hours and Saturday–Sunday hours."""
    return (weekday,) * 5 + (weekend,) * 2


@dataclass(frozen=True, slots=True)
class Window:
    """Weekly hours a channel may be used in; checked in every candidate zone unless `zone`."""

    code: str
    channels: frozenset[str]
    weekly: Weekly
    destination_types: frozenset[str] | None = None
    zone: str | None = None
    # ISO country of the holiday calendar, or "address" for the debtor's address country.
    holiday_country: str | None = None
    lifted_by_consent: str | None = None

    def governs(self, channel: str, destination_type: str) -> bool:
        """Whether this window restricts a request on this channel and destination type."""
        if channel not in self.channels:
            return False
        return self.destination_types is None or destination_type in self.destination_types

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "reason": self.code,
            "channels": sorted(self.channels),
            "weekly": {
                day: (hours.as_list() if hours else None)
                for day, hours in zip(WEEKDAYS, self.weekly, strict=True)
            },
            "destination_types": sorted(self.destination_types) if self.destination_types else None,
            "zone": self.zone,
            "holiday_calendar": self.holiday_country,
            "lifted_by_consent": self.lifted_by_consent,
        }


@dataclass(frozen=True, slots=True)
class Limit:
    """A frequency cap (blocks once `max` events sit in the window) or a cool-down (`max` 1)."""

    code: str
    kind: str  # "cap" | "cooldown"
    max: int
    channels: frozenset[str]
    outcomes: frozenset[str]
    directions: frozenset[str]
    unit: str  # "calendar_days" | "rolling_hours"
    length: int
    destination_types: frozenset[str] | None = None
    per: str = "debt"  # "debt" (the debt's group) | "destination" (one number)
    zone: str | None = None
    exempt_purposes: frozenset[str] = frozenset()
    consent_exempt: bool = False

    def governs(self, channel: str, destination_type: str, purpose: str) -> bool:
        """Whether a request on this channel, destination type and purpose is limited."""
        if channel not in self.channels or purpose in self.exempt_purposes:
            return False
        return self.destination_types is None or destination_type in self.destination_types

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "reason": self.code,
            "kind": self.kind,
            "max": self.max,
            "channels": sorted(self.channels),
            "counted_outcomes": sorted(self.outcomes),
            "directions": sorted(self.directions),
            "window": {"unit": self.unit, "length": self.length},
            "destination_types": sorted(self.destination_types) if self.destination_types else None,
            "per": self.per,
            "zone": self.zone,
            "exempt_purposes": sorted(self.exempt_purposes),
            "direct_prior_consent_exempt": self.consent_exempt,
        }
