"""Agent request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.agents.models import AgentTier
from app.core.schemas import Name, RequestModel, ResponseModel


class AgentCreate(RequestModel):
    name: Name
    tier: AgentTier
    lender_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class AgentOut(ResponseModel):
    id: uuid.UUID
    name: str
    tier: AgentTier
    lender_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime
