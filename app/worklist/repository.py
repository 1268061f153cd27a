"""Queries for the worklist."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.models import Contact


async def last_contacts(
    session: AsyncSession, debt_ids: Sequence[uuid.UUID], until: datetime
) -> dict[uuid.UUID, datetime]:
    """The latest contact (any direction or source) of each debt, up to `until`."""
    found: dict[uuid.UUID, datetime] = {}
    for start in range(0, len(debt_ids), 1000):
        chunk = list(debt_ids[start : start + 1000])
        stmt = (
            select(Contact.debt_id, func.max(Contact.occurred_at))
            .where(Contact.debt_id.in_(chunk), Contact.occurred_at <= until)
            .group_by(Contact.debt_id)
        )
        for debt_id, at in (await session.execute(stmt)).all():
            found[debt_id] = at
    return found
