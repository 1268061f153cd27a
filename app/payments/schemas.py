"""Payment bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.core.schemas import Instant, Name, RequestModel, ResponseModel
from app.debts.schemas import Currency
from app.payments.models import PaymentMethod


class PaymentCreate(RequestModel):
    amount_minor: int = Field(gt=0, le=10**15)
    currency: Currency
    paid_at: Instant
    external_ref: Name
    method: PaymentMethod = PaymentMethod.OTHER


class PaymentOut(ResponseModel):
    id: uuid.UUID
    debt_id: uuid.UUID
    external_ref: str
    amount_minor: int
    currency: str
    paid_at: datetime
    method: PaymentMethod
    applied_balance_minor: int
    applied_fees_minor: int
    credit_minor: int
    created_at: datetime
