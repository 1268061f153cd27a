"""Daily bucket snapshots (for roll rates), the portfolio summary, and the statistics indexes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.contacts.models import Contact
from app.core.db import Base
from app.core.types import Money, UTCDateTime, str_enum
from app.debts.models import Debt, DebtEvent, DebtStatus, Product
from app.payments.models import Payment


class SnapshotDay(Base):
    """One lender-local day whose snapshot was taken; the row is the claim that makes it once."""

    __tablename__ = "stats_snapshot_days"

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    debts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class DebtBucketSnapshot(Base):
    """Where one open debt stood on one lender-local day (terminal debts are not snapshotted)."""

    __tablename__ = "debt_bucket_snapshots"
    __table_args__ = (Index("ix_debt_bucket_snapshots_debt_id_day", "debt_id", "day"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    debt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[Product] = mapped_column(str_enum(Product), nullable=False)
    bucket: Mapped[str] = mapped_column(String(8), nullable=False)
    balance_minor: Mapped[int] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)


class PortfolioSummary(Base):
    """Debts and their sums per (lender, status, product, currency, due date), kept by triggers.

    Written only by the database triggers on `debts` (migration 0008 explains them), in the
    same transaction as the write, so it is exact and current whatever wrote the debt. Each key
    has up to 8 rows, one per `shard`: a PostgreSQL writer adds to the shard of its connection,
    so concurrent writers of one key do not wait for each other (migration 0012); `arrears sweep`
    folds the shards back into shard 0. Only the sum over a key's shards is meaningful (a shard
    may hold 0 debts with non-zero sums); a key whose debts all moved away sums to zeros, which
    readers skip.
    """

    __tablename__ = "debt_portfolio_summary"

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[DebtStatus] = mapped_column(str_enum(DebtStatus), primary_key=True)
    product: Mapped[Product] = mapped_column(str_enum(Product), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="0")
    debts: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_minor: Mapped[int] = mapped_column(Money, nullable=False)
    principal_minor: Mapped[int] = mapped_column(Money, nullable=False)
    fees_minor: Mapped[int] = mapped_column(Money, nullable=False)


# Indexes on other domains' tables that exist for the statistics (created by migration 0007).
# On PostgreSQL the INCLUDE columns make the aggregates index-only scans.
Index(
    "ix_stats_debts_lender_id_status",
    Debt.lender_id,
    Debt.status,
    Debt.product,
    Debt.due_date,
    postgresql_include=["currency", "balance_minor", "principal_minor", "fees_minor"],
)
Index(
    "ix_stats_contacts_lender_id_occurred_at",
    Contact.lender_id,
    Contact.occurred_at,
    postgresql_include=["channel", "direction", "outcome", "agent_id", "debt_id"],
)
Index(
    "ix_stats_contacts_occurred_at",
    Contact.occurred_at,
    postgresql_include=["lender_id", "channel", "direction", "outcome", "agent_id", "debt_id"],
)
Index("ix_stats_payments_paid_at", Payment.paid_at)
Index("ix_stats_debt_events_type_at", DebtEvent.type, DebtEvent.at)
