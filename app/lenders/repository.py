"""Queries on lenders."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.lenders.models import Lender


async def get(session: AsyncSession, lender_id: uuid.UUID) -> Lender | None:
    return await session.get(Lender, lender_id)


async def get_by_code(session: AsyncSession, code: str) -> Lender | None:
    return await session.scalar(select(Lender).where(Lender.code == code))


async def existing_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = set(ids)
    if not wanted:
        return set()
    return set((await session.scalars(select(Lender.id).where(Lender.id.in_(wanted)))).all())


def list_query(scope: frozenset[uuid.UUID] | None) -> Select[Lender]:
    stmt = select(Lender)
    if scope is not None:
        stmt = stmt.where(Lender.id.in_(scope))
    return stmt


def add(session: AsyncSession, lender: Lender) -> Lender:
    session.add(lender)
    return lender
