"""Escalations: requests to move a debt up the ladder, with their approval and outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType, UTCDateTime, str_enum


class EscalationStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"


class EscalationReason(StrEnum):
    DPD_THRESHOLD = "dpd_threshold"
    BROKEN_PLAN = "broken_plan"
    REFUSED_TO_PAY = "refused_to_pay"
    UNREACHABLE = "unreachable"
    DISPUTE_UNRESOLVED = "dispute_unresolved"
    MANUAL = "manual"


class Escalation(IdMixin, TimestampMixin, Base):
    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_lender_id_created_at_id", "lender_id", "created_at", "id"),
        Index("ix_escalations_lender_id_status", "lender_id", "status"),
        Index("ix_escalations_debt_id_created_at", "debt_id", "created_at"),
        # One pending escalation per debt, whatever the race.
        Index(
            "uq_escalations_debt_id_pending",
            "debt_id",
            unique=True,
            sqlite_where=text("status = 'pending_approval'"),
            postgresql_where=text("status = 'pending_approval'"),
        ),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    debt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=False
    )
    from_level: Mapped[str] = mapped_column(String(32), nullable=False)
    to_level: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[EscalationStatus] = mapped_column(str_enum(EscalationStatus), nullable=False)
    reason: Mapped[EscalationReason] = mapped_column(str_enum(EscalationReason), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The automatic rule that fired ({name, type, threshold, value}); null for a person's request.
    rule_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(100), nullable=False)
    requested_by_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
