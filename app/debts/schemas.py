"""Debt bodies: the upsert item, the batch, PATCH, and what is returned."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, Field, StringConstraints, field_validator

from app.core.currency import check_currency
from app.core.schemas import Day, Name, RequestModel, ResponseModel
from app.debtors.schemas import DebtorIn, DebtorSummary
from app.debts.models import DebtStatus, Product
from app.rules import KNOWN_PROFILE_CODES

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(check_currency)]
Minor = Annotated[int, Field(ge=0, le=10**15)]


def _known_profile(code: str) -> str:
    if code not in KNOWN_PROFILE_CODES:
        raise ValueError("unknown compliance profile")
    return code


ProfileCode = Annotated[str, StringConstraints(max_length=40), AfterValidator(_known_profile)]
MAX_META_BYTES = 8 * 1024
MAX_BATCH = 1000


def _meta_size(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return value
    try:
        encoded = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        # Lone surrogates and integers past 64 bits: not storable JSON (and not a 500).
        raise ValueError("meta must be plain JSON (no lone surrogates, 64-bit integers)") from None
    if b"\\u0000" in encoded:
        raise ValueError("meta must not contain NUL characters")  # PostgreSQL JSONB refuses them
    if len(encoded) > MAX_META_BYTES:
        raise ValueError("meta must be at most 8 KB of JSON")
    return value


Meta = Annotated[dict[str, Any] | None, AfterValidator(_meta_size)]


class DebtIn(RequestModel):
    """One debt as a lender posts it; upserted by (lender, external_ref)."""

    external_ref: Name
    debtor: DebtorIn
    product: Product
    currency: Currency
    principal_minor: Minor
    balance_minor: Minor
    fees_minor: Minor = 0
    due_date: Day
    compliance_profiles: list[ProfileCode] = Field(default_factory=list, max_length=20)
    group_key: Name | None = None
    meta: Meta = None

    @field_validator("due_date")
    @classmethod
    def _plausible(cls, value: date) -> date:
        if not date(1970, 1, 1) <= value <= date(2200, 12, 31):
            raise ValueError("due_date is out of range")
        return value


class DebtCreate(DebtIn):
    lender_id: uuid.UUID | None = Field(default=None, description="Admin keys name the lender.")


class DebtBatch(RequestModel):
    lender_id: uuid.UUID | None = Field(default=None, description="Admin keys name the lender.")
    items: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class DebtPatch(RequestModel):
    assigned_agent_id: uuid.UUID | None = None
    status: Literal["recalled", "closed", "written_off"] | None = None
    group_key: Name | None = None
    compliance_profiles: list[ProfileCode] | None = Field(default=None, max_length=20)
    meta: Meta = None


class DebtOut(ResponseModel):
    id: uuid.UUID
    lender_id: uuid.UUID
    external_ref: str
    debtor_id: uuid.UUID
    debtor: DebtorSummary
    product: Product
    currency: str
    principal_minor: int
    balance_minor: int
    fees_minor: int
    credit_minor: int
    due_date: date
    status: DebtStatus
    dpd: int
    bucket: str
    assigned_agent_id: uuid.UUID | None
    escalation_level: str
    compliance_profiles: list[str]
    group_key: str | None
    broken_plans: int
    meta: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class ItemError(ResponseModel):
    pointer: str
    message: str


ItemStatus = Literal["created", "updated", "unchanged", "rejected"]


class BatchItemResult(ResponseModel):
    index: int
    external_ref: str | None
    status: ItemStatus
    id: uuid.UUID | None
    errors: list[ItemError]


class BatchCounts(ResponseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


class BatchResult(ResponseModel):
    results: list[BatchItemResult]
    counts: BatchCounts


class DebtEventOut(ResponseModel):
    id: uuid.UUID
    at: datetime
    type: str
    actor: str
    data: dict[str, Any]
