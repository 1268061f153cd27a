"""The transactional outbox of outbound events (PRODUCT.md §4 "Outbound events").

`emit` is called by the domain that changed something, inside its own transaction. Fan-out happens
here, at emit time: one delivery row per endpoint of the lender subscribed to the event type, so a
rolled-back change leaves no event, a committed one always has its deliveries, and a lender without
subscribed endpoints costs one indexed read per transaction (cached in `session.info`) and no
writes. An endpoint created later does not receive events emitted before it existed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.types import new_id
from app.webhooks import repository
from app.webhooks.models import DeliveryStatus


class EventType(StrEnum):
    DEBT_CREATED = "debt.created"
    DEBT_STATUS_CHANGED = "debt.status_changed"
    PAYMENT_RECEIVED = "payment.received"
    PLAN_CREATED = "plan.created"
    PLAN_BROKEN = "plan.broken"
    PLAN_COMPLETED = "plan.completed"
    ESCALATION_CREATED = "escalation.created"
    CONTACT_RECORDED = "contact.recorded"
    HOLD_CREATED = "hold.created"


_CACHE_KEY = "arrears.webhook_subscriptions"


async def _subscriptions(
    session: AsyncSession, lender_id: uuid.UUID
) -> list[tuple[uuid.UUID, frozenset[str]]]:
    cache: dict[uuid.UUID, list[tuple[uuid.UUID, frozenset[str]]]] = session.info.setdefault(
        _CACHE_KEY, {}
    )
    if lender_id not in cache:
        cache[lender_id] = await repository.live_subscriptions(session, lender_id)
    return cache[lender_id]


def forget_subscriptions(session: AsyncSession, lender_id: uuid.UUID) -> None:
    """Drop the transaction's cached subscriptions after an endpoint changed."""
    session.info.get(_CACHE_KEY, {}).pop(lender_id, None)


async def emit(
    session: AsyncSession,
    *,
    lender_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    """Queue one event for the lender's subscribed endpoints; returns how many deliveries."""
    return await emit_many(session, lender_id=lender_id, events=[(event_type, payload)], at=at)


async def emit_many(
    session: AsyncSession,
    *,
    lender_id: uuid.UUID,
    events: Sequence[tuple[str, dict[str, Any]]],
    at: datetime,
) -> int:
    """Queue several events of one lender with one read and one multi-row insert."""
    rows = await pending_deliveries(session, lender_id=lender_id, events=events, at=at)
    await repository.add_deliveries(session, rows)
    return len(rows)


async def pending_deliveries(
    session: AsyncSession,
    *,
    lender_id: uuid.UUID,
    events: Sequence[tuple[str, dict[str, Any]]],
    at: datetime,
) -> list[dict[str, Any]]:
    """The delivery rows `emit_many` inserts, for a caller that writes them in a statement of
    its own (the contact attempt on PostgreSQL)."""
    if not events:
        return []
    return delivery_rows(await _subscriptions(session, lender_id), lender_id, events, at)


def prime_subscriptions(
    session: AsyncSession, lender_id: uuid.UUID, endpoints: Sequence[tuple[uuid.UUID, Any]]
) -> list[tuple[uuid.UUID, frozenset[str]]]:
    """Cache the lender's live subscriptions read by another statement of this transaction
    (`repository.LIVE_SUBSCRIPTIONS`): endpoint ids with their event types."""
    subscriptions = [
        (endpoint_id, frozenset(orjson.loads(types) if isinstance(types, str | bytes) else types))
        for endpoint_id, types in endpoints
    ]
    session.info.setdefault(_CACHE_KEY, {})[lender_id] = subscriptions
    return subscriptions


def delivery_rows(
    subscriptions: Sequence[tuple[uuid.UUID, frozenset[str]]],
    lender_id: uuid.UUID,
    events: Sequence[tuple[str, dict[str, Any]]],
    at: datetime,
) -> list[dict[str, Any]]:
    """One pending delivery per event and endpoint subscribed to its type."""
    rows: list[dict[str, Any]] = []
    if not subscriptions:
        return rows
    due = utcnow()
    for event_type, payload in events:
        EventType(event_type)  # a programming error, not input: fail loudly
        event_id = new_id()
        for endpoint_id, types in subscriptions:
            if event_type in types:
                rows.append(
                    {
                        "id": new_id(),
                        "lender_id": lender_id,
                        "endpoint_id": endpoint_id,
                        "event_id": event_id,
                        "event_type": event_type,
                        "payload": payload,
                        "status": DeliveryStatus.PENDING,
                        "attempts": 0,
                        # Delivery runs on the real clock, whatever the request's test clock says.
                        "next_attempt_at": due,
                        "history": [],
                        "created_at": at,
                    }
                )
    return rows


def debt_created(debt: Any) -> dict[str, Any]:
    """The `debt.created` payload from a Debt or a new-debt row (a mapping)."""
    get = debt.get if isinstance(debt, dict) else lambda name: getattr(debt, name)
    return {
        "debt_id": str(get("id")),
        "external_ref": get("external_ref"),
        "debtor_id": str(get("debtor_id")),
        "product": str(get("product")),
        "currency": get("currency"),
        "principal_minor": get("principal_minor"),
        "balance_minor": get("balance_minor"),
        "fees_minor": get("fees_minor"),
        "due_date": str(get("due_date")),
        "status": str(get("status")),
    }


def status_changed(debt: Any, before: str, after: str, cause: str) -> dict[str, Any]:
    return {
        "debt_id": str(debt.id),
        "external_ref": debt.external_ref,
        "before": before,
        "after": after,
        "cause": cause,
    }


def contact_recorded(contact: Any) -> dict[str, Any]:
    return {
        "contact_id": str(contact.id),
        "debt_id": str(contact.debt_id),
        "debtor_id": str(contact.debtor_id),
        "channel": str(contact.channel),
        "direction": str(contact.direction),
        "source": str(contact.source),
        "outcome": str(contact.outcome),
        "occurred_at": contact.occurred_at.isoformat(),
    }


def hold_created(hold: Any) -> dict[str, Any]:
    return {
        "hold_id": str(hold.id),
        "debtor_id": str(hold.debtor_id),
        "debt_id": None if hold.debt_id is None else str(hold.debt_id),
        "type": str(hold.type),
        "channel": None if hold.channel is None else str(hold.channel),
        "starts_at": hold.starts_at.isoformat(),
        "ends_at": None if hold.ends_at is None else hold.ends_at.isoformat(),
    }
