"""A lender's own rules: validated with pydantic once, then kept as plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictInt, model_validator

from app.rules.specs import (
    ATTEMPT_OUTCOMES,
    BOTH_DIRECTIONS,
    CHANNELS,
    OUTBOUND,
    WEEKDAYS,
    Hours,
    Limit,
    Window,
    parse_hhmm,
)

Channel = Literal["phone", "sms", "email", "letter", "visit"]
Outcome = Literal[
    "reserved", "no_answer", "voicemail", "limited_content_message", "busy", "network_error",
    "not_in_service", "conversation", "third_party", "wrong_number", "delivered", "bounced",
    "promise_to_pay", "refused", "dispute_raised", "cease_requested", "callback_requested",
]  # fmt: skip
HHMM = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
DayHours = Annotated[list[HHMM], Field(min_length=2, max_length=2)]
MAX_WINDOW_DAYS = 366


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowIn(_Strict):
    """A counting window: local calendar days (event day = day 1) or rolling hours."""

    unit: Literal["calendar_days", "rolling_hours"]
    length: StrictInt = Field(ge=1, le=MAX_WINDOW_DAYS * 24)

    @model_validator(mode="after")
    def _bounded(self) -> WindowIn:
        if self.unit == "calendar_days" and self.length > MAX_WINDOW_DAYS:
            raise ValueError(f"calendar_days windows are at most {MAX_WINDOW_DAYS} days")
        return self


class WeeklyIn(_Strict):
    """Opening hours per weekday; a missing or null day is closed."""

    mon: DayHours | None = None
    tue: DayHours | None = None
    wed: DayHours | None = None
    thu: DayHours | None = None
    fri: DayHours | None = None
    sat: DayHours | None = None
    sun: DayHours | None = None

    @model_validator(mode="after")
    def _start_before_end(self) -> WeeklyIn:
        for day in WEEKDAYS:
            hours = getattr(self, day)
            if hours is not None and parse_hhmm(hours[0]) >= parse_hhmm(hours[1]):
                raise ValueError(f"{day}: start must be before end")
        return self


class _RuleIn(_Strict):
    name: str = Field(pattern=r"^[A-Z0-9_]{1,60}$")
    channels: Annotated[list[Channel], Field(min_length=1)] | None = None


class FrequencyCapIn(_RuleIn):
    """At most `max` counted outbound contacts per debt in the window."""

    type: Literal["frequency_cap"]
    max: StrictInt = Field(ge=1, le=10_000)
    window: WindowIn
    counted_outcomes: Annotated[list[Outcome], Field(min_length=1)] | None = None


class TimeWindowIn(_RuleIn):
    """Weekly opening hours, in every candidate zone."""

    type: Literal["time_window"]
    weekly: WeeklyIn


class CooldownIn(_RuleIn):
    """No contact within the window after a contact with a trigger outcome."""

    type: Literal["cooldown"]
    trigger_outcomes: list[Outcome] = Field(min_length=1)
    window: WindowIn


RuleIn = Annotated[FrequencyCapIn | TimeWindowIn | CooldownIn, Field(discriminator="type")]


class LenderRulesIn(RootModel[list[RuleIn]]):
    """The `rules` list of `PUT /v1/lenders/{id}/compliance`."""

    root: list[RuleIn] = Field(max_length=100)

    @model_validator(mode="after")
    def _unique_names(self) -> LenderRulesIn:
        names = [rule.name for rule in self.root]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        return self


@dataclass(frozen=True, slots=True)
class RuleWindow:
    """A lender rule's counting window."""

    unit: str
    length: int


@dataclass(frozen=True, slots=True)
class LenderRule:
    """One validated lender rule; it blocks with `POLICY_<name>`."""

    name: str
    type: str  # frequency_cap | time_window | cooldown
    channels: tuple[str, ...] | None = None
    max: int | None = None
    window: RuleWindow | None = None
    counted_outcomes: tuple[str, ...] | None = None
    trigger_outcomes: tuple[str, ...] | None = None
    weekly: tuple[tuple[str, str] | None, ...] | None = None  # mon..sun, None = closed

    @property
    def code(self) -> str:
        """The reason code this rule blocks with."""
        return f"POLICY_{self.name}"

    def to_dict(self) -> dict[str, Any]:
        """The rule as the lender wrote it (JSON-ready)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.channels is not None:
            out["channels"] = list(self.channels)
        if self.max is not None:
            out["max"] = self.max
        if self.window is not None:
            out["window"] = {"unit": self.window.unit, "length": self.window.length}
        if self.counted_outcomes is not None:
            out["counted_outcomes"] = list(self.counted_outcomes)
        if self.trigger_outcomes is not None:
            out["trigger_outcomes"] = list(self.trigger_outcomes)
        if self.weekly is not None:
            out["weekly"] = {
                day: list(hours) if hours else None
                for day, hours in zip(WEEKDAYS, self.weekly, strict=True)
            }
        return out


def parse_lender_rules(raw: list[dict[str, Any]]) -> tuple[LenderRule, ...]:
    """Validate a lender's rules; raises `pydantic.ValidationError` on any malformed rule."""
    return tuple(_from_model(rule) for rule in LenderRulesIn.model_validate(raw).root)


def _from_model(rule: FrequencyCapIn | TimeWindowIn | CooldownIn) -> LenderRule:
    channels = tuple(rule.channels) if rule.channels is not None else None
    if isinstance(rule, TimeWindowIn):
        weekly = tuple(
            (hours[0], hours[1]) if (hours := getattr(rule.weekly, day)) else None
            for day in WEEKDAYS
        )
        return LenderRule(rule.name, rule.type, channels, weekly=weekly)
    window = RuleWindow(rule.window.unit, rule.window.length)
    if isinstance(rule, FrequencyCapIn):
        counted = tuple(rule.counted_outcomes) if rule.counted_outcomes else None
        return LenderRule(
            rule.name, rule.type, channels, rule.max, window, counted_outcomes=counted
        )
    return LenderRule(
        rule.name, rule.type, channels, window=window, trigger_outcomes=tuple(rule.trigger_outcomes)
    )


@lru_cache(maxsize=4096)
def as_window(rule: LenderRule) -> Window:
    """A `time_window` rule as a window spec."""
    assert rule.weekly is not None
    weekly = tuple(
        Hours(parse_hhmm(hours[0]), parse_hhmm(hours[1])) if hours else None
        for hours in rule.weekly
    )
    return Window(rule.code, frozenset(rule.channels or CHANNELS), weekly)


@lru_cache(maxsize=4096)
def as_limit(rule: LenderRule) -> Limit:
    """A `frequency_cap` or `cooldown` rule as a limit spec (per debt group)."""
    assert rule.window is not None
    channels = frozenset(rule.channels or CHANNELS)
    if rule.type == "cooldown":
        # A conversation is a conversation whichever side called: triggers count both ways.
        triggers = frozenset(rule.trigger_outcomes or ())
        return Limit(rule.code, "cooldown", 1, channels, triggers, BOTH_DIRECTIONS,
                     rule.window.unit, rule.window.length)  # fmt: skip
    outcomes = frozenset(rule.counted_outcomes) if rule.counted_outcomes else ATTEMPT_OUTCOMES
    return Limit(rule.code, "cap", rule.max or 0, channels, outcomes, OUTBOUND,
                 rule.window.unit, rule.window.length)  # fmt: skip
