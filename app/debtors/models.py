"""Debtors and their contact points; a debtor belongs to exactly one lender."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType, str_enum


class DebtorKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class ContactChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    POSTAL = "postal"


class ContactPointType(StrEnum):
    CELL = "cell"
    HOME = "home"
    WORK = "work"
    PERSONAL = "personal"
    OTHER = "other"


class ContactPointStatus(StrEnum):
    ACTIVE = "active"
    INVALID = "invalid"


class Debtor(IdMixin, TimestampMixin, Base):
    __tablename__ = "debtors"
    __table_args__ = (UniqueConstraint("lender_id", "external_ref"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    external_ref: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[DebtorKind] = mapped_column(str_enum(DebtorKind, 16), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Fernet ciphertext; only the last four characters are ever returned.
    national_id_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    national_id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    subdivision: Mapped[str | None] = mapped_column(String(8), nullable=True)
    city: Mapped[str | None] = mapped_column(String(200), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    line1: Mapped[str | None] = mapped_column(String(200), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    # NULL: none designated (and, on a re-post that omits it, "keep what is stored").
    inconvenient_times: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    # Contacts recorded under this row's lock (app/contacts), counted on PostgreSQL: an attempt
    # that waited for the lock finds the row changed since its snapshot and reads its facts again.
    contact_seq: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default=text("0")
    )


class ContactPoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "contact_points"
    __table_args__ = (
        UniqueConstraint("debtor_id", "channel", "value"),
        Index("ix_contact_points_lender_id_value", "lender_id", "value"),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    debtor_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[ContactChannel] = mapped_column(str_enum(ContactChannel, 16), nullable=False)
    value: Mapped[str] = mapped_column(String(320), nullable=False)
    type: Mapped[ContactPointType] = mapped_column(str_enum(ContactPointType, 16), nullable=False)
    status: Mapped[ContactPointStatus] = mapped_column(
        str_enum(ContactPointStatus, 16), nullable=False, default=ContactPointStatus.ACTIVE
    )
    # A phone's time zones by its number, found when the value was normalised (migration 0010).
    time_zones: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
