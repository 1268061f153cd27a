"""API key request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.core.roles import Role
from app.core.schemas import Name, RequestModel, ResponseModel


class ApiKeyCreate(RequestModel):
    role: Role
    name: Name
    lender_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None


class ApiKeyOut(ResponseModel):
    id: uuid.UUID
    role: Role
    name: str
    prefix: str
    lender_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str
    """The secret, shown once."""
