"""Repayment plans (installments, settlements, promises to pay) and their installments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import Money, UTCDateTime, str_enum
from app.debts.models import DebtStatus


class PlanKind(StrEnum):
    INSTALLMENT = "installment"
    SETTLEMENT = "settlement"
    PROMISE = "promise"


class PlanStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class Frequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class InstallmentStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    MISSED = "missed"


OPEN_PLAN_STATUSES = (PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE)
_OPEN_PLAN_SQL = text("status IN ('pending_approval', 'active')")


class Plan(IdMixin, TimestampMixin, Base):
    __tablename__ = "plans"
    __table_args__ = (
        Index("ix_plans_debt_id_created_at_id", "debt_id", "created_at", "id"),
        # The sweep's scan: active plans whose oldest open installment is past its grace.
        Index("ix_plans_status_breaks_on", "status", "breaks_on"),
        Index("ix_plans_lender_id_status", "lender_id", "status"),
        # One open (pending or active) plan per debt, whatever the application does.
        Index(
            "uq_plans_debt_id_open",
            "debt_id",
            unique=True,
            sqlite_where=_OPEN_PLAN_SQL,
            postgresql_where=_OPEN_PLAN_SQL,
        ),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    debt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[PlanKind] = mapped_column(str_enum(PlanKind, 16), nullable=False)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, 24), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    total_minor: Mapped[int] = mapped_column(Money, nullable=False)
    paid_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    # What the debt owed (balance + fees) when the plan was made: the settlement discount's base.
    owed_minor: Mapped[int] = mapped_column(Money, nullable=False)
    written_off_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    frequency: Mapped[Frequency | None] = mapped_column(str_enum(Frequency, 16), nullable=True)
    grace_days: Mapped[int] = mapped_column(Integer, nullable=False)
    # The lender-local date from which the oldest open installment counts as missed (null: none open).
    breaks_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The debt's collectable status before the plan; restored when the plan breaks or is cancelled.
    prior_debt_status: Mapped[DebtStatus] = mapped_column(str_enum(DebtStatus), nullable=False)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
    )
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    installments: Mapped[list[Installment]] = relationship(
        lazy="raise", order_by="Installment.seq", back_populates="plan"
    )


class Installment(IdMixin, Base):
    __tablename__ = "plan_installments"
    __table_args__ = (UniqueConstraint("plan_id", "seq"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount_minor: Mapped[int] = mapped_column(Money, nullable=False)
    paid_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    status: Mapped[InstallmentStatus] = mapped_column(
        str_enum(InstallmentStatus, 16), nullable=False, default=InstallmentStatus.OPEN
    )
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    plan: Mapped[Plan] = relationship(lazy="raise", back_populates="installments")

    @property
    def open_minor(self) -> int:
        return self.amount_minor - self.paid_minor
