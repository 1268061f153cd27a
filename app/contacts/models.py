"""The outreach log. Nothing outside `app/contacts/` may create a row here (tests enforce it),
and the database itself refuses a live outbound contact without an allowing decision for the
same debt and channel; one decision licenses one contact."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.compliance.models import Channel
from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType, UTCDateTime, str_enum


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Source(StrEnum):
    LIVE = "live"
    IMPORT = "import"
    INBOUND = "inbound"


class Outcome(StrEnum):
    RESERVED = "reserved"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    LIMITED_CONTENT_MESSAGE = "limited_content_message"
    BUSY = "busy"
    NETWORK_ERROR = "network_error"
    NOT_IN_SERVICE = "not_in_service"
    CONVERSATION = "conversation"
    THIRD_PARTY = "third_party"
    WRONG_NUMBER = "wrong_number"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    PROMISE_TO_PAY = "promise_to_pay"
    REFUSED = "refused"
    DISPUTE_RAISED = "dispute_raised"
    CEASE_REQUESTED = "cease_requested"
    CALLBACK_REQUESTED = "callback_requested"


class Contact(IdMixin, TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("decision_id"),
        ForeignKeyConstraint(
            ["decision_id", "debt_id", "channel", "decision_verdict"],
            [
                "compliance_decisions.id",
                "compliance_decisions.debt_id",
                "compliance_decisions.channel",
                "compliance_decisions.decision",
            ],
            name="fk_contacts_allowing_decision",
        ),
        CheckConstraint(
            "source <> 'live' OR direction <> 'outbound' "
            "OR (decision_id IS NOT NULL AND decision_verdict = 'allow')",
            name="live_outbound_needs_allowing_decision",
        ),
        CheckConstraint(
            "decision_verdict IS NULL OR decision_verdict = 'allow'", name="verdict_is_allow"
        ),
        Index("ix_contacts_debtor_id_occurred_at", "debtor_id", "occurred_at"),
        Index("ix_contacts_debt_id_occurred_at", "debt_id", "occurred_at"),
        Index("ix_contacts_lender_id_occurred_at", "lender_id", "occurred_at"),
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
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, 16), nullable=False)
    source: Mapped[Source] = mapped_column(str_enum(Source, 16), nullable=False)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome), nullable=False)
    contact_point_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contact_points.id", ondelete="SET NULL"), nullable=True
    )
    to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    destination_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False, default="collection")
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    also_debt_ids: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    decision_verdict: Mapped[str | None] = mapped_column(String(8), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
