"""Queries on debtors and contact points; every one is scoped by lender."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import dialect_insert
from app.debtors.models import ContactPoint, Debtor

# Columns an embedded debtor overwrites when posted again; NULL keeps what is stored.
_MERGED = ("kind", "name", "country", "subdivision", "city", "postal_code", "line1", "locale")
_KEPT_IF_NULL = ("national_id_encrypted", "national_id_last4", "timezone", "inconvenient_times")


async def get(
    session: AsyncSession, debtor_id: uuid.UUID, scope: frozenset[uuid.UUID] | None
) -> Debtor | None:
    stmt = select(Debtor).where(Debtor.id == debtor_id)
    if scope is not None:
        stmt = stmt.where(Debtor.lender_id.in_(scope))
    return await session.scalar(stmt)


async def contact_points_of(session: AsyncSession, debtor_id: uuid.UUID) -> list[ContactPoint]:
    stmt = (
        select(ContactPoint)
        .where(ContactPoint.debtor_id == debtor_id)
        .order_by(ContactPoint.created_at, ContactPoint.id)
    )
    return list((await session.scalars(stmt)).all())


async def get_contact_point(
    session: AsyncSession, debtor_id: uuid.UUID, point_id: uuid.UUID
) -> ContactPoint | None:
    stmt = select(ContactPoint).where(
        ContactPoint.id == point_id, ContactPoint.debtor_id == debtor_id
    )
    return await session.scalar(stmt)


async def find_contact_point(
    session: AsyncSession, debtor_id: uuid.UUID, channel: str, value: str
) -> ContactPoint | None:
    stmt = select(ContactPoint).where(
        ContactPoint.debtor_id == debtor_id,
        ContactPoint.channel == channel,
        ContactPoint.value == value,
    )
    return await session.scalar(stmt)


async def upsert_many(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[str, uuid.UUID]:
    """Insert or merge debtors by (lender_id, external_ref); returns external_ref → id."""
    if not rows:
        return {}
    stmt = dialect_insert(session, Debtor).values(list(rows))
    excluded = stmt.excluded
    merged: dict[str, Any] = {c: getattr(excluded, c) for c in _MERGED}
    for column in _KEPT_IF_NULL:
        merged[column] = func.coalesce(getattr(excluded, column), getattr(Debtor, column))
    merged["updated_at"] = excluded.updated_at
    stmt = stmt.on_conflict_do_update(index_elements=["lender_id", "external_ref"], set_=merged)
    result = await session.execute(stmt.returning(Debtor.external_ref, Debtor.id))
    return dict(result.all())


async def add_contact_points(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add contact points, de-duplicated by value per debtor (a known value keeps its status)."""
    if not rows:
        return
    stmt = dialect_insert(session, ContactPoint).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=["debtor_id", "channel", "value"],
        set_={"type": stmt.excluded.type, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


async def get_contact_point_by_id(
    session: AsyncSession, point_id: uuid.UUID
) -> ContactPoint | None:
    return await session.get(ContactPoint, point_id)
