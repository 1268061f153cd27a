"""Queries on webhook sources, received events, endpoints and deliveries; scoped by lender."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import dialect_insert, is_postgres
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSource,
)


def _scoped(stmt: Any, column: Any, scope: frozenset[uuid.UUID] | None) -> Any:
    return stmt if scope is None else stmt.where(column.in_(scope))


# Sources and received events


async def get_source(
    session: AsyncSession,
    source_id: uuid.UUID,
    scope: frozenset[uuid.UUID] | None = None,
    *,
    for_update: bool = False,
) -> WebhookSource | None:
    stmt = _scoped(
        select(WebhookSource).where(WebhookSource.id == source_id), WebhookSource.lender_id, scope
    )
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


def sources_query(scope: frozenset[uuid.UUID] | None) -> Select[WebhookSource]:
    return _scoped(select(WebhookSource), WebhookSource.lender_id, scope)


async def insert_event_once(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert the received event unless (source, webhook-id) exists; True when this call won.

    On PostgreSQL a concurrent identical insert waits for the first transaction and then sees
    the conflict; on SQLite writers already run one at a time.
    """
    stmt = dialect_insert(session, WebhookEvent).values(row)
    stmt = stmt.on_conflict_do_nothing(index_elements=["source_id", "webhook_id"])
    result = await session.execute(stmt.returning(WebhookEvent.id))
    return result.first() is not None


async def mark_event(session: AsyncSession, event_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(values))


# Endpoints


async def get_endpoint(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    scope: frozenset[uuid.UUID] | None,
    *,
    for_update: bool = False,
) -> WebhookEndpoint | None:
    stmt = _scoped(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None)
        ),
        WebhookEndpoint.lender_id,
        scope,
    )
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


def endpoints_query(scope: frozenset[uuid.UUID] | None) -> Select[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None))
    return _scoped(stmt, WebhookEndpoint.lender_id, scope)


# The same read as one SQL expression, for a statement of another domain that already has the
# lender's id in hand (`:lender` is replaced by that statement's column): an array of
# (endpoint id, event types) records, for `outbox.prime_subscriptions`.
LIVE_SUBSCRIPTIONS = """ARRAY(SELECT ROW(e.id, e.event_types) FROM webhook_endpoints e
       WHERE e.lender_id = {lender} AND e.deleted_at IS NULL)"""


async def live_subscriptions(
    session: AsyncSession, lender_id: uuid.UUID
) -> list[tuple[uuid.UUID, frozenset[str]]]:
    stmt = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
        WebhookEndpoint.lender_id == lender_id, WebhookEndpoint.deleted_at.is_(None)
    )
    return [(row[0], frozenset(row[1])) for row in (await session.execute(stmt)).all()]


async def cancel_pending(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.DELIVERING]),
        )
        .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None, claim_token=None)
    )


# Deliveries


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookDelivery), list(rows))


def deliveries_query(endpoint_id: uuid.UUID) -> Select[WebhookDelivery]:
    return select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)


async def claim_due(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Lock due deliveries (pending and due, or claimed by a worker whose claim expired).

    PostgreSQL skips rows another worker holds, so concurrent workers take disjoint sets.
    """
    stmt = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            or_(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.status == DeliveryStatus.DELIVERING,
            ),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(of=WebhookDelivery, skip_locked=True)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def finish_attempts(
    session: AsyncSession, claim_token: uuid.UUID, outcomes: Sequence[dict[str, Any]]
) -> None:
    """Record attempts' outcomes in one executemany, only for rows whose claim is still ours.

    Every outcome carries the same keys: `delivery_id` and the columns to set.
    """
    if not outcomes:
        return
    table: Table = WebhookDelivery.__table__  # type: ignore[assignment]
    columns = [k for k in outcomes[0] if k != "delivery_id"]
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("delivery_id"),
            table.c.claim_token == claim_token,
            table.c.status == DeliveryStatus.DELIVERING.value,
        )
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    rows = [
        {"delivery_id": o["delivery_id"], **{f"new_{k}": o[k] for k in columns}} for o in outcomes
    ]
    await session.execute(stmt, rows)
