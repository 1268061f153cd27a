"""Agents: collectors and supervisors, each working the debts of some lenders."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import str_enum


class AgentTier(StrEnum):
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"
    SUPERVISOR = "supervisor"


class Agent(IdMixin, TimestampMixin, Base):
    __tablename__ = "agents"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    tier: Mapped[AgentTier] = mapped_column(str_enum(AgentTier), nullable=False)


class AgentLender(Base):
    """Which lenders' debts an agent may see and work."""

    __tablename__ = "agent_lenders"

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    lender_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lenders.id", ondelete="CASCADE"), primary_key=True, index=True
    )
