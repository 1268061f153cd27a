"""Plan bodies and what is returned."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, field_validator

from app.core.schemas import Day, RequestModel, ResponseModel
from app.plans.models import Frequency, InstallmentStatus, PlanKind, PlanStatus
from app.plans.schedule import MAX_INSTALLMENTS


def _plausible(value: date | None) -> date | None:
    if value is not None and not date(1970, 1, 1) <= value <= date(2200, 12, 31):
        raise ValueError("the date is out of range")
    return value


class ScheduleItem(RequestModel):
    due_date: Day
    amount_minor: int = Field(gt=0, le=10**15)

    _check_date = field_validator("due_date")(_plausible)


class PlanCreate(RequestModel):
    """A plan: generated (count + frequency + first due date) or an explicit schedule."""

    kind: PlanKind
    total_minor: int | None = Field(
        default=None, gt=0, le=10**15, description="Default: balance + fees."
    )
    installment_count: int | None = Field(default=None, ge=1, le=MAX_INSTALLMENTS)
    frequency: Frequency | None = None
    first_due_date: Day | None = Field(default=None, description="Required without schedule.")
    schedule: list[ScheduleItem] | None = Field(
        default=None, min_length=1, max_length=MAX_INSTALLMENTS
    )
    grace_days: int = Field(default=3, ge=0, le=90)

    _check_date = field_validator("first_due_date")(_plausible)


class InstallmentOut(ResponseModel):
    seq: int
    due_date: date
    amount_minor: int
    paid_minor: int
    open_minor: int
    status: InstallmentStatus
    paid_at: datetime | None


class PlanOut(ResponseModel):
    id: uuid.UUID
    debt_id: uuid.UUID
    lender_id: uuid.UUID
    kind: PlanKind
    status: PlanStatus
    currency: str
    total_minor: int
    paid_minor: int
    open_minor: int = Field(description="What is still to pay under the plan.")
    owed_minor: int = Field(description="Balance + fees of the debt when the plan was made.")
    discount_pct: float | None = Field(
        description="Settlements: (owed − total) / owed, in percent (2 decimals)."
    )
    written_off_minor: int
    installment_count: int
    frequency: Frequency | None
    grace_days: int
    created_by: str
    agent_id: uuid.UUID | None
    approved_by: str | None
    approved_at: datetime | None
    completed_at: datetime | None
    broken_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    installments: list[InstallmentOut]
