"""Escalation request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.schemas import RequestModel, ResponseModel, Text
from app.escalations.ladder import Level
from app.escalations.models import EscalationReason, EscalationStatus


class EscalationCreate(RequestModel):
    to_level: Level
    reason: EscalationReason
    note: Text | None = None


class EscalationDecision(RequestModel):
    note: Text | None = None


class FiredRule(BaseModel):
    name: str
    type: str
    threshold: int
    value: int
    days: int | None = None


class EscalationOut(ResponseModel):
    id: uuid.UUID
    lender_id: uuid.UUID
    debt_id: uuid.UUID
    from_level: Level
    to_level: Level
    status: EscalationStatus
    reason: EscalationReason
    note: str | None
    rule: FiredRule | None = Field(description="The automatic rule that fired; null when manual.")
    needs_approval: bool
    requested_by: str
    requested_by_agent_id: uuid.UUID | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RuleProgress(BaseModel):
    name: str
    type: str
    to_level: Level
    threshold: int
    current: int
    days: int | None
    met: bool
    fired_already: bool = Field(description="This rule already escalated the debt from this level.")
    description: str


class LevelOption(BaseModel):
    to_level: Level
    needs_approval: bool


class EscalationExplain(BaseModel):
    debt_id: uuid.UUID
    escalation_level: Level
    status: str
    dpd: int
    because: list[EscalationOut] = Field(
        description="The approved escalations that put the debt at its level, oldest first."
    )
    pending: EscalationOut | None
    next_rule: RuleProgress | None = Field(
        description="The automatic rule that would move the debt next (a met rule first, "
        "else the one closest to its threshold)."
    )
    rules: list[RuleProgress] = Field(description="Every rule of the lender that applies here.")
    manual_options: list[LevelOption]


def rule_out(data: dict[str, Any] | None) -> FiredRule | None:
    return None if data is None else FiredRule.model_validate(data)
