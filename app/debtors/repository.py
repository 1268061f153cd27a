"""Queries on debtors and contact points; every one is scoped by lender."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.bulk import recordset_insert
from app.core.db import dialect_insert, is_postgres
from app.debtors.models import ContactPoint, Debtor

# Columns an embedded debtor overwrites when posted again; NULL keeps what is stored.
_MERGED = ("kind", "name", "country", "subdivision", "city", "postal_code", "line1", "locale")
_KEPT_IF_NULL = ("national_id_encrypted", "national_id_last4", "timezone", "inconvenient_times")

# PostgreSQL: one constant statement per batch (see app.core.bulk); `lender_id`, `created_at` and
# `updated_at` are per-batch constants.
_UPSERT_DEBTORS = recordset_insert(
    "debtors",
    {
        "id": "uuid",
        "external_ref": "text",
        "kind": "text",
        "name": "text",
        "national_id_encrypted": "text",
        "national_id_last4": "text",
        "country": "text",
        "subdivision": "text",
        "city": "text",
        "postal_code": "text",
        "line1": "text",
        "timezone": "text",
        "locale": "text",
        "inconvenient_times": "jsonb",
    },
    {"lender_id": "uuid", "created_at": "timestamptz", "updated_at": "timestamptz"},
    suffix="ON CONFLICT (lender_id, external_ref) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _MERGED)
    + ", "
    + ", ".join(f"{c} = COALESCE(EXCLUDED.{c}, debtors.{c})" for c in _KEPT_IF_NULL)
    + ", updated_at = EXCLUDED.updated_at RETURNING external_ref, id",
)
_ADD_CONTACT_POINTS = recordset_insert(
    "contact_points",
    {
        "id": "uuid",
        "debtor_id": "uuid",
        "channel": "text",
        "value": "text",
        "type": "text",
        "time_zones": "jsonb",
    },
    {
        "lender_id": "uuid",
        "status": "text",
        "created_at": "timestamptz",
        "updated_at": "timestamptz",
    },
    suffix="ON CONFLICT (debtor_id, channel, value) DO UPDATE SET "
    "type = EXCLUDED.type, time_zones = EXCLUDED.time_zones, updated_at = EXCLUDED.updated_at",
)


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
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
    *,
    lender_id: uuid.UUID,
    now: datetime,
) -> dict[str, uuid.UUID]:
    """Insert or merge one lender's debtors by external_ref; returns external_ref → id.

    Rows carry every column but `lender_id`, `created_at` and `updated_at` (`now`).
    """
    if not rows:
        return {}
    if is_postgres(session):
        found = await _UPSERT_DEBTORS.execute(
            session, rows, lender_id=lender_id, created_at=now, updated_at=now
        )
        return {row[0]: row[1] for row in found}
    full = [{**row, "lender_id": lender_id, "created_at": now, "updated_at": now} for row in rows]
    stmt = dialect_insert(session, Debtor).values(full)
    excluded = stmt.excluded
    merged: dict[str, Any] = {c: getattr(excluded, c) for c in _MERGED}
    for column in _KEPT_IF_NULL:
        merged[column] = func.coalesce(getattr(excluded, column), getattr(Debtor, column))
    merged["updated_at"] = excluded.updated_at
    stmt = stmt.on_conflict_do_update(index_elements=["lender_id", "external_ref"], set_=merged)
    result = await session.execute(stmt.returning(Debtor.external_ref, Debtor.id))
    return dict(result.all())


async def add_contact_points(
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
    *,
    lender_id: uuid.UUID,
    now: datetime,
) -> None:
    """Add one lender's contact points, de-duplicated by value per debtor (a known value keeps
    its status; its type is the one posted). Rows: id, debtor_id, channel, value, type, time_zones."""
    if not rows:
        return
    constants = {"lender_id": lender_id, "status": "active", "created_at": now, "updated_at": now}
    if is_postgres(session):
        await _ADD_CONTACT_POINTS.execute(session, rows, **constants)
        return
    stmt = dialect_insert(session, ContactPoint).values([{**row, **constants} for row in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=["debtor_id", "channel", "value"],
        set_={
            "type": stmt.excluded.type,
            "time_zones": stmt.excluded.time_zones,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    await session.execute(stmt)


async def get_contact_point_by_id(
    session: AsyncSession, point_id: uuid.UUID
) -> ContactPoint | None:
    return await session.get(ContactPoint, point_id)
