"""Bodies of the compliance endpoints: holds, consents, lender rules, evaluate, callable, decisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from app.compliance.models import Channel, ConsentType, HoldType, Verdict
from app.core.schemas import Instant, RequestModel, ResponseModel, Text
from app.debtors.models import ContactPointType
from app.debts.models import DebtStatus, Product
from app.debts.schemas import ProfileCode

Purpose = Literal[
    "collection",
    "cease_termination_notice",
    "remedy_notice",
    "verification",
    "opt_out_confirmation",
    "response_to_debtor_request",
    "response_to_query_or_complaint",
    "statutory_notice",
]


class HoldCreate(RequestModel):
    type: HoldType
    debt_id: uuid.UUID | None = None
    channel: Channel | None = None
    contact_point_id: uuid.UUID | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _required_by_type(self) -> HoldCreate:
        if self.type is HoldType.DISPUTE and self.debt_id is None:
            raise ValueError("a dispute hold needs debt_id")
        if self.type is HoldType.CHANNEL_OPT_OUT and self.channel is None:
            raise ValueError("a channel_opt_out hold needs channel")
        if self.type is HoldType.BREATHING_SPACE and self.ends_at is None:
            raise ValueError("a breathing_space hold needs ends_at")
        return self


class HoldOut(ResponseModel):
    id: uuid.UUID
    debtor_id: uuid.UUID
    debt_id: uuid.UUID | None
    type: HoldType
    channel: Channel | None
    contact_point_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime | None
    released_at: datetime | None
    note: str | None
    source: str
    created_at: datetime


class ConsentCreate(RequestModel):
    type: ConsentType
    channel: Channel | None = None
    debt_id: uuid.UUID | None = None
    given_at: Instant
    expires_at: Instant | None = None


class ConsentOut(ResponseModel):
    id: uuid.UUID
    debtor_id: uuid.UUID
    debt_id: uuid.UUID | None
    type: ConsentType
    channel: Channel | None
    given_at: datetime
    expires_at: datetime | None
    source: str
    created_at: datetime


class LenderCompliance(RequestModel):
    profiles: list[ProfileCode] = Field(default_factory=list, max_length=20)
    rules: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


class LenderComplianceOut(ResponseModel):
    lender_id: uuid.UUID
    profiles: list[str]
    rules: list[dict[str, Any]]


class EvaluateRequest(RequestModel):
    """Without `contact_point_id` or `to`, the debtor's best active contact point for the channel is used."""

    debt_id: uuid.UUID
    channel: Channel
    contact_point_id: uuid.UUID | None = None
    to: Annotated[str, Field(min_length=1, max_length=320)] | None = None
    destination_type: ContactPointType | None = None
    purpose: Purpose = "collection"
    at: Instant | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> EvaluateRequest:
        if self.contact_point_id is not None and self.to is not None:
            raise ValueError("give contact_point_id or to, not both")
        return self


class ReasonOut(ResponseModel):
    code: str
    message: str
    clears_at: datetime | None


class WarningOut(ResponseModel):
    code: str
    message: str


class CandidateZoneOut(ResponseModel):
    tz: str
    local_time: str = Field(description="RFC 3339 with the zone's offset")
    source: str


class EvaluateResponse(ResponseModel):
    decision: Verdict
    reasons: list[ReasonOut]
    warnings: list[WarningOut]
    next_allowed_at: datetime | None
    candidate_zones: list[CandidateZoneOut]
    profiles: list[str]
    counters: dict[str, Any]
    evaluated_at: datetime


class CallableFilter(RequestModel):
    lender_id: uuid.UUID | None = None
    status: DebtStatus | None = None
    bucket: Literal["current", "1-30", "31-60", "61-90", "91-180", "181+"] | None = None
    product: Product | None = None
    assigned_agent_id: uuid.UUID | None = None


class CallableRequest(RequestModel):
    channel: Channel
    at: Instant | None = None
    purpose: Purpose = "collection"
    debt_ids: list[uuid.UUID] | None = Field(default=None, max_length=100_000)
    filter: CallableFilter | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> CallableRequest:
        if (self.debt_ids is None) == (self.filter is None):
            raise ValueError("give either debt_ids or filter")
        return self


class BlockedDebt(ResponseModel):
    debt_id: uuid.UUID
    reasons: list[ReasonOut]
    next_allowed_at: datetime | None


class CallableResponse(ResponseModel):
    allowed: list[uuid.UUID]
    blocked: list[BlockedDebt]
    evaluated_at: datetime


class DecisionOut(ResponseModel):
    id: uuid.UUID
    debt_id: uuid.UUID
    debtor_id: uuid.UUID
    channel: Channel
    purpose: str
    destination: str | None
    at: datetime
    decision: Verdict
    reasons: list[ReasonOut]
    warnings: list[WarningOut]
    next_allowed_at: datetime | None
    candidate_zones: list[CandidateZoneOut]
    profiles: list[str]
    counters: dict[str, Any]
    contact_id: uuid.UUID | None
