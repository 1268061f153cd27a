"""Webhook bodies: sources, endpoints, deliveries, and the telecom event payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AnyUrl, Field, UrlConstraints, field_validator

from app.core.schemas import Instant, Name, RequestModel, ResponseModel, Text
from app.debts.models import Product
from app.debts.schemas import Currency, DebtIn, Minor
from app.payments.models import PaymentMethod
from app.webhooks.models import DeliveryStatus
from app.webhooks.outbox import EventType

# Sources (inbound)


class SourceCreate(RequestModel):
    lender_id: uuid.UUID
    name: Name


class SourceOut(ResponseModel):
    id: uuid.UUID
    lender_id: uuid.UUID
    name: str
    previous_secret_expires_at: datetime | None = Field(
        description="Until when the secret before the last rotation is still accepted."
    )
    created_at: datetime
    updated_at: datetime


class SourceWithSecret(SourceOut):
    secret: str = Field(description="The signing secret (`whsec_…`), shown only in this response.")


# Endpoints (outbound)

HttpUrl = Annotated[AnyUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])]


class EndpointCreate(RequestModel):
    url: HttpUrl
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    lender_id: uuid.UUID | None = Field(default=None, description="Admin keys name the lender.")

    @field_validator("event_types")
    @classmethod
    def _distinct(cls, value: list[EventType]) -> list[EventType]:
        return list(dict.fromkeys(value))


class EndpointOut(ResponseModel):
    id: uuid.UUID
    lender_id: uuid.UUID
    url: str
    event_types: list[EventType]
    created_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(
        description="The Standard Webhooks secret (`whsec_…`) deliveries are signed with; "
        "shown only in this response."
    )


class AttemptOut(ResponseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(ResponseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID = Field(description="Sent as `webhook-id`; the same on every retry.")
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(
        description="The next retry (null once delivered, dead or cancelled)."
    )
    delivered_at: datetime | None
    created_at: datetime
    history: list[AttemptOut]


# Telecom events (inbound payloads). The receiver verifies the signature on the raw body before
# it parses anything, so these models document and validate; they are not FastAPI body params.


class TelecomDebt(DebtIn):
    """A `POST /v1/debts` body; `product` defaults to `telecom_bill`."""

    product: Product = Product.TELECOM_BILL


class BillPaid(RequestModel):
    debt_external_ref: Name
    amount_minor: int = Field(gt=0, le=10**15)
    currency: Currency
    paid_at: Instant
    external_ref: Name
    method: PaymentMethod = PaymentMethod.OTHER


class BillAdjusted(RequestModel):
    debt_external_ref: Name
    balance_minor: Minor
    reason: Text


class AccountClosed(RequestModel):
    debt_external_ref: Name
    closed_at: Instant


class _Envelope(RequestModel):
    timestamp: Instant


class BillOverdueEvent(_Envelope):
    type: Literal["bill.overdue"]
    data: TelecomDebt


class BillPaidEvent(_Envelope):
    type: Literal["bill.paid"]
    data: BillPaid


class BillAdjustedEvent(_Envelope):
    type: Literal["bill.adjusted"]
    data: BillAdjusted


class AccountClosedEvent(_Envelope):
    type: Literal["account.closed"]
    data: AccountClosed


TelecomEvent = Annotated[
    BillOverdueEvent | BillPaidEvent | BillAdjustedEvent | AccountClosedEvent,
    Field(discriminator="type"),
]
KNOWN_TYPES = frozenset({"bill.overdue", "bill.paid", "bill.adjusted", "account.closed"})

EXAMPLE: dict[str, Any] = {
    "type": "bill.overdue",
    "timestamp": "2026-03-01T08:00:00Z",
    "data": {
        "external_ref": "BILL-2026-02-5551234",
        "debtor": {
            "external_ref": "SUB-5551234",
            "kind": "person",
            "name": "Jane Roe",
            "address": {"country": "US", "subdivision": "NY", "city": "Albany"},
            "contact_points": [{"channel": "phone", "value": "+15185550142", "type": "cell"}],
        },
        "currency": "USD",
        "principal_minor": 8_999,
        "balance_minor": 8_999,
        "due_date": str(date(2026, 2, 1)),
    },
}
