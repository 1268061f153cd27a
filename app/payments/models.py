"""Payments received on a debt; idempotent by the lender's `external_ref`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import Money, UTCDateTime, str_enum


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    WALLET = "wallet"
    OTHER = "other"


class Payment(IdMixin, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("debt_id", "external_ref"),
        Index("ix_payments_lender_id_paid_at", "lender_id", "paid_at"),
        Index("ix_payments_debt_id_paid_at", "debt_id", "paid_at"),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    debt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=False
    )
    external_ref: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_minor: Mapped[int] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 16), nullable=False)
    # How the amount was applied: to the balance, to fees, and the excess kept as credit.
    applied_balance_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    applied_fees_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
    credit_minor: Mapped[int] = mapped_column(Money, nullable=False, default=0)
