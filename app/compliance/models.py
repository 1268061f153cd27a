"""Holds, consents and the evidence ledger of compliance decisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType, UTCDateTime, str_enum


class HoldType(StrEnum):
    CEASE_COMMUNICATION = "cease_communication"
    ATTORNEY_REPRESENTATION = "attorney_representation"
    BANKRUPTCY = "bankruptcy"
    DISPUTE = "dispute"
    CHANNEL_OPT_OUT = "channel_opt_out"
    EMPLOYER_PROHIBITS = "employer_prohibits"
    BREATHING_SPACE = "breathing_space"
    MENTAL_HEALTH_CRISIS = "mental_health_crisis"
    DECEASED = "deceased"
    LITIGATION = "litigation"


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"


class ConsentType(StrEnum):
    DIRECT_PRIOR_CONSENT = "direct_prior_consent"
    OUTSIDE_HOURS = "outside_hours"


class Verdict(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


class Hold(IdMixin, TimestampMixin, Base):
    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_debtor_id_starts_at", "debtor_id", "starts_at"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    debtor_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False
    )
    debt_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=True
    )
    type: Mapped[HoldType] = mapped_column(str_enum(HoldType), nullable=False)
    channel: Mapped[Channel | None] = mapped_column(str_enum(Channel, 16), nullable=True)
    contact_point_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contact_points.id", ondelete="SET NULL"), nullable=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="manual")
    opt_out_confirmations_used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Consent(IdMixin, TimestampMixin, Base):
    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_debtor_id_given_at", "debtor_id", "given_at"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    debtor_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False
    )
    debt_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=True
    )
    type: Mapped[ConsentType] = mapped_column(str_enum(ConsentType), nullable=False)
    channel: Mapped[Channel | None] = mapped_column(str_enum(Channel, 16), nullable=True)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="manual")


class ComplianceDecision(IdMixin, Base):
    """Evidence: one decision of the rules service on a contact attempt, with its inputs."""

    __tablename__ = "compliance_decisions"
    __table_args__ = (
        # The target of the contacts' composite foreign key: a contact names the allowing
        # decision for its own debt and channel, and nothing else.
        UniqueConstraint("id", "debt_id", "channel", "decision"),
        Index("ix_compliance_decisions_debt_id_at", "debt_id", "at"),
        Index("ix_compliance_decisions_lender_id_at", "lender_id", "at"),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    debt_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debts.id", ondelete="CASCADE"), nullable=False
    )
    debtor_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16), nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)
    destination: Mapped[str | None] = mapped_column(String(320), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decision: Mapped[Verdict] = mapped_column(str_enum(Verdict, 8), nullable=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    candidate_zones: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False)
    profiles: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    counters: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    # The request as evaluated (agent, contact point, destination type), for replay.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
