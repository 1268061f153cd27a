"""Webhook sources (inbound, telecom), their received events, and outbound endpoints and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType, UTCDateTime, str_enum


class InboundStatus(StrEnum):
    APPLIED = "applied"
    REJECTED = "rejected"
    IGNORED = "ignored"  # an event type this service does not act on


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"  # claimed by a worker; the claim expires at next_attempt_at
    DELIVERED = "delivered"
    DEAD = "dead"
    CANCELLED = "cancelled"  # the endpoint was deleted first


class WebhookSource(IdMixin, TimestampMixin, Base):
    """A telecom billing system that posts signed events for one lender."""

    __tablename__ = "webhook_sources"
    __table_args__ = (Index("ix_webhook_sources_lender_id_created_at", "lender_id", "created_at"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Encrypted with the data key: verification needs the secret back.
    secret_encrypted: Mapped[str] = mapped_column(String(500), nullable=False)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(500))
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEvent(IdMixin, Base):
    """A received webhook, stored once per (source, webhook-id) with what replay needs."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("source_id", "webhook_id"),)

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    source_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_sources.id", ondelete="CASCADE"), nullable=False
    )
    webhook_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[InboundStatus] = mapped_column(str_enum(InboundStatus, 16), nullable=False)
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    """A lender's URL that receives the outbound events it subscribed to."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_lender_id_created_at", "lender_id", "created_at"),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    event_types: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    secret_encrypted: Mapped[str] = mapped_column(String(500), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(IdMixin, Base):
    """The outbox row: one event for one subscribed endpoint, written in the causing transaction."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=False
    )
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    # Shared by every endpoint's copy of one event: it is the `webhook-id` receivers dedupe on.
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, 16), nullable=False)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    # Due time while pending; the claim's expiry while delivering.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
