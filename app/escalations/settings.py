"""The lender settings this domain reads: automatic escalation rules and assignment tiers.

Validated at `POST/PATCH /v1/lenders` (unknown fields and malformed rules are 422) and stored as
their JSON dump on the lender.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from app.agents.models import AgentTier
from app.core.schemas import RequestModel
from app.escalations.ladder import Level, may_step

RuleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
TargetLevel = Literal[
    "senior_collector",
    "supervisor",
    "legal_notice",
    "litigation",
    "arbitration",
    "asset_preservation",
    "external_agency",
    "write_off",
]

UNANSWERED_OUTCOMES = ("no_answer", "busy", "voicemail", "network_error", "not_in_service")


class _Rule(RequestModel):
    name: RuleName | None = Field(
        default=None, description="Unique within the lender; defaults to `<type>_<threshold>`."
    )
    to_level: TargetLevel
    from_levels: list[Level] | None = Field(
        default=None,
        max_length=9,
        description="Levels the rule applies at; default: every level `to_level` may follow.",
    )

    @model_validator(mode="after")
    def _check_levels(self) -> _Rule:
        target = Level(self.to_level)
        for level in self.from_levels or []:
            if not may_step(level, target):
                raise ValueError(f"{target.value} may not follow {level.value}")
        if self.name is None:
            self.name = f"{self.type}_{self.threshold}"  # type: ignore[attr-defined]
        return self

    def applies_at(self) -> list[Level]:
        target = Level(self.to_level)
        levels = self.from_levels or [lvl for lvl in Level if may_step(lvl, target)]
        return [lvl for lvl in Level if lvl in levels]


class DpdThresholdRule(_Rule):
    type: Literal["dpd_threshold"]
    min_dpd: int = Field(ge=1, le=100_000)

    @property
    def threshold(self) -> int:
        return self.min_dpd


class BrokenPlansRule(_Rule):
    type: Literal["broken_plans"]
    count: int = Field(ge=1, le=1000)

    @property
    def threshold(self) -> int:
        return self.count


class RefusedRule(_Rule):
    type: Literal["refused"]
    count: int = Field(ge=1, le=1000)
    days: int | None = Field(default=None, ge=1, le=3650, description="Window; default all time.")

    @property
    def threshold(self) -> int:
        return self.count


class UnansweredAttemptsRule(_Rule):
    type: Literal["unanswered_attempts"]
    count: int = Field(ge=1, le=1000)
    days: int = Field(ge=1, le=3650)

    @property
    def threshold(self) -> int:
        return self.count


EscalationRule = Annotated[
    DpdThresholdRule | BrokenPlansRule | RefusedRule | UnansweredAttemptsRule,
    Field(discriminator="type"),
]


def check_unique_names(rules: list[Any]) -> None:
    names = [rule.name for rule in rules]
    if len(names) != len(set(names)):
        raise ValueError("escalation rule names must be unique")


class TierBand(RequestModel):
    tier: AgentTier
    min_dpd: int = Field(ge=1, le=100_000)
    max_dpd: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _ordered(self) -> TierBand:
        if self.max_dpd is not None and self.max_dpd < self.min_dpd:
            raise ValueError("max_dpd must not be below min_dpd")
        return self


DEFAULT_BANDS = [
    TierBand(tier=AgentTier.JUNIOR, min_dpd=1, max_dpd=30),
    TierBand(tier=AgentTier.INTERMEDIATE, min_dpd=31, max_dpd=60),
    TierBand(tier=AgentTier.SENIOR, min_dpd=61, max_dpd=90),
    TierBand(tier=AgentTier.SUPERVISOR, min_dpd=91, max_dpd=None),
]
DEFAULT_LEVEL_TIERS: dict[Level, AgentTier] = {
    level: AgentTier.SUPERVISOR for level in Level if level is not Level.COLLECTOR
}
DEFAULT_LEVEL_TIERS[Level.SENIOR_COLLECTOR] = AgentTier.SENIOR


class AssignmentSettings(RequestModel):
    """Which tier works which debts: DPD bands, and a minimum tier per escalation level."""

    enabled: bool = Field(default=True, description="`false`: the sweep does not assign.")
    tiers: list[TierBand] = Field(default_factory=lambda: list(DEFAULT_BANDS), max_length=20)
    level_tiers: dict[Level, AgentTier] = Field(
        default_factory=lambda: dict(DEFAULT_LEVEL_TIERS),
        description="Minimum tier per escalation level; the higher of this and the DPD band wins.",
    )

    @model_validator(mode="after")
    def _disjoint(self) -> AssignmentSettings:
        spans = sorted((b.min_dpd, b.max_dpd or 10**9) for b in self.tiers)
        for (_, high), (low, _) in zip(spans, spans[1:], strict=False):
            if low <= high:
                raise ValueError("DPD bands must not overlap")
        return self
