"""Lender request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints

from app.core.schemas import Name, RequestModel, ResponseModel
from app.escalations.settings import AssignmentSettings, EscalationRule, check_unique_names

LenderCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,39}$")]
ProfileCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]


def _iana_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone") from None
    return value


TimeZoneName = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_iana_zone)
]


def _unique_rule_names(rules: list[Any]) -> list[Any]:
    check_unique_names(rules)
    return rules


EscalationRules = Annotated[
    list[EscalationRule], Field(max_length=50), AfterValidator(_unique_rule_names)
]


class LenderSettings(RequestModel):
    timezone: TimeZoneName = "UTC"
    max_discount_pct: int = Field(default=30, ge=0, le=100)
    escalation_rules: EscalationRules = Field(default_factory=list)
    assignment: AssignmentSettings | None = None


class LenderSettingsPatch(RequestModel):
    timezone: TimeZoneName | None = None
    max_discount_pct: int | None = Field(default=None, ge=0, le=100)
    escalation_rules: EscalationRules | None = None
    assignment: AssignmentSettings | None = None


class LenderCreate(RequestModel):
    code: LenderCode
    name: Name
    compliance_profiles: list[ProfileCode] = Field(default_factory=list, max_length=20)
    settings: LenderSettings = Field(default_factory=LenderSettings)


class LenderPatch(RequestModel):
    name: Name | None = None
    compliance_profiles: list[ProfileCode] | None = Field(default=None, max_length=20)
    settings: LenderSettingsPatch | None = None


class LenderSettingsOut(ResponseModel):
    timezone: str
    max_discount_pct: int
    escalation_rules: list[dict[str, Any]]
    assignment: dict[str, Any] | None


class LenderOut(ResponseModel):
    id: uuid.UUID
    code: str
    name: str
    compliance_profiles: list[str]
    settings: LenderSettingsOut
    created_at: datetime
    updated_at: datetime
