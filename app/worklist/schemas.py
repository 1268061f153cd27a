"""Worklist response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.debts.schemas import DebtOut


class ScoreParts(BaseModel):
    balance: float = Field(description="10 × log10(1 + owed in major units), at most 40.")
    dpd: float = Field(description="30 × min(DPD, 180) / 180.")
    broken_plans: float = Field(description="10 per broken plan or promise, at most 20.")
    days_since_contact: float = Field(
        description="1 per day since the last contact, at most 10 (10 when never contacted)."
    )


class BlockedChannel(BaseModel):
    channel: str
    codes: list[str]
    next_allowed_at: datetime | None


class WorkItem(BaseModel):
    debt: DebtOut
    score: float
    score_parts: ScoreParts
    channels_allowed: list[str]
    last_contact_at: datetime | None


class LaterItem(BaseModel):
    debt: DebtOut
    next_allowed_at: datetime | None = Field(
        description="The earliest time any channel opens; null when no time will clear it."
    )
    blocked: list[BlockedChannel]


class Worklist(BaseModel):
    agent_id: uuid.UUID
    evaluated_at: datetime
    items: list[WorkItem]
    next_cursor: str | None
    later: list[LaterItem] = Field(
        description="Assigned debts no channel may reach now (first page only), soonest first."
    )
