"""Contact bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.compliance.models import Channel
from app.compliance.schemas import Purpose, ReasonOut, WarningOut
from app.contacts.models import Direction, Outcome, Source
from app.core.schemas import Day, Instant, RequestModel, ResponseModel, Text
from app.debtors.models import ContactPointType

To = Annotated[str, Field(min_length=1, max_length=320)]


class Promise(RequestModel):
    amount_minor: int = Field(gt=0, le=10**15)
    due_date: Day


class ContactCreate(RequestModel):
    channel: Channel
    direction: Direction = Direction.OUTBOUND
    contact_point_id: uuid.UUID | None = None
    to: To | None = None
    destination_type: ContactPointType | None = None
    purpose: Purpose = "collection"
    agent_id: uuid.UUID | None = None
    outcome: Outcome | None = None
    also_debt_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    promise: Promise | None = None
    callback_at: Instant | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ContactCreate:
        if self.contact_point_id is not None and self.to is not None:
            raise ValueError("give contact_point_id or to, not both")
        if self.promise is not None and self.outcome is not Outcome.PROMISE_TO_PAY:
            raise ValueError("promise goes with outcome promise_to_pay")
        return self


class OutcomeReport(RequestModel):
    outcome: Outcome
    notes: Text | None = None
    promise: Promise | None = None
    callback_at: Instant | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeReport:
        if self.outcome is Outcome.RESERVED:
            raise ValueError("report the outcome of the attempt, not reserved")
        if self.promise is not None and self.outcome is not Outcome.PROMISE_TO_PAY:
            raise ValueError("promise goes with outcome promise_to_pay")
        if self.outcome is Outcome.PROMISE_TO_PAY and self.promise is None:
            raise ValueError("promise_to_pay needs promise {amount_minor, due_date}")
        return self


class ImportItem(RequestModel):
    occurred_at: Instant
    channel: Channel
    direction: Direction
    outcome: Outcome
    to: To | None = None
    contact_point_id: uuid.UUID | None = None
    purpose: Purpose = "collection"
    also_debt_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class ImportRequest(RequestModel):
    items: list[ImportItem] = Field(min_length=1, max_length=1000)


class ImportResult(ResponseModel):
    imported: int


class DecisionSummary(ResponseModel):
    id: uuid.UUID
    decision: str
    reasons: list[ReasonOut]
    warnings: list[WarningOut]
    next_allowed_at: datetime | None


class ContactOut(ResponseModel):
    id: uuid.UUID
    debt_id: uuid.UUID
    debtor_id: uuid.UUID
    channel: Channel
    direction: Direction
    source: Source
    outcome: Outcome
    contact_point_id: uuid.UUID | None
    to: str | None
    purpose: str
    agent_id: uuid.UUID | None
    also_debt_ids: list[uuid.UUID]
    occurred_at: datetime
    notes: str | None
    decision: DecisionSummary | None


def decision_summary(row: Any) -> DecisionSummary | None:
    if row is None:
        return None
    return DecisionSummary(
        id=row.id,
        decision=row.decision.value,
        reasons=row.reasons,
        warnings=row.warnings,
        next_allowed_at=row.next_allowed_at,
    )
