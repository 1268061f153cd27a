"""Housekeeping sweeps owned by the core."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import idempotency
from app.core.background import register_sweep


@register_sweep("idempotency_keys_expired")
async def purge_idempotency_keys(session: AsyncSession, now: datetime) -> int:
    return await idempotency.purge_expired(session, now)
