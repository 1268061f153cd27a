"""Debts (overdue accounts) and their append-only event timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType, Money, UTCDateTime, new_id, str_enum


class Product(StrEnum):
    CREDIT_CARD = "credit_card"
    PERSONAL_LOAN = "personal_loan"
    MICROLOAN = "microloan"
    BANK_LOAN = "bank_loan"
    BNPL = "bnpl"
    TELECOM_BILL = "telecom_bill"
    UTILITY_BILL = "utility_bill"
    ENTERPRISE_LOAN = "enterprise_loan"
    SUPPLY_CHAIN = "supply_chain"
    OTHER = "other"


class DebtStatus(StrEnum):
    ACTIVE = "active"
    PROMISED = "promised"
    IN_PLAN = "in_plan"
    DISPUTED = "disputed"
    ESCALATED = "escalated"
    LEGAL = "legal"
    PAID = "paid"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
    RECALLED = "recalled"
    CLOSED = "closed"


class Debt(IdMixin, TimestampMixin, Base):
    __tablename__ = "debts"
    __table_args__ = (
        UniqueConstraint("external_ref", "lender_id"),  # external_ref first: migration 0011
        Index("ix_debts_lender_id_created_at_id", "lender_id", "created_at", "id"),
        Index("ix_debts_lender_id_status", "lender_id", "status"),
        Index("ix_debts_lender_id_due_date", "lender_id", "due_date"),
        Index("ix_debts_lender_id_updated_at", "lender_id", "updated_at"),
        Index("ix_debts_lender_id_group_key", "lender_id", "group_key"),
        Index("ix_debts_assigned_agent_id", "assigned_agent_id"),
        Index("ix_debts_debtor_id", "debtor_id"),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    external_ref: Mapped[str] = mapped_column(String(200), nullable=False)
    debtor_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False
    )
    product: Mapped[Product] = mapped_column(str_enum(Product), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    principal_minor: Mapped[int] = mapped_column(Money, nullable=False)
    balance_minor: Mapped[int] = mapped_column(Money, nullable=False)
    fees_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    credit_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[DebtStatus] = mapped_column(
        str_enum(DebtStatus), nullable=False, default=DebtStatus.ACTIVE
    )
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
    )
    escalation_level: Mapped[str] = mapped_column(String(32), nullable=False, default="collector")
    compliance_profiles: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    group_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    broken_plans: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # A keyed digest of what the lender last posted: a re-post of the same content is `unchanged`.
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DebtEvent(Base):
    """One entry of a debt's timeline: who did what, when, with before/after values."""

    __tablename__ = "debt_events"
    __table_args__ = (Index("ix_debt_events_debt_id_at_id", "debt_id", "at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    debt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
