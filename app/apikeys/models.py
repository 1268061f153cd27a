"""API keys: stored hashed, found by a non-secret prefix."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.roles import Role
from app.core.types import UTCDateTime, str_enum


class ApiKey(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[Role] = mapped_column(str_enum(Role, 16), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    lender_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), nullable=True, index=True
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=True, index=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
