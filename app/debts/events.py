"""The debt timeline: append-only entries of who did what, when, with before/after values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.types import new_id
from app.debts.models import Debt, DebtEvent, DebtStatus
from app.webhooks import outbox

SYSTEM = "system"


def actor_of(principal: Principal | None) -> str:
    """`<role>:<key id>` for people and integrations, `system` for sweeps and rules."""
    if principal is None:
        return SYSTEM
    return f"{principal.role.value}:{principal.key_id}"


def entry(
    debt: Any, type_: str, *, at: datetime, actor: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The columns of a timeline entry of `debt` (anything with `id` and `lender_id`)."""
    return {
        "id": new_id(),
        "lender_id": debt.lender_id,
        "debt_id": debt.id,
        "at": at,
        "type": type_,
        "actor": actor,
        "data": data or {},
    }


def record(
    session: AsyncSession,
    debt: Debt,
    type_: str,
    *,
    at: datetime,
    actor: str,
    data: dict[str, Any] | None = None,
) -> DebtEvent:
    event = DebtEvent(**entry(debt, type_, at=at, actor=actor, data=data))
    session.add(event)
    return event


def move_status(
    session: AsyncSession,
    debt: Debt,
    target: DebtStatus,
    *,
    cause: str,
    actor: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Move the debt to `target` with its timeline entry; returns the outbound event to queue.

    Every status change goes through here, so the timeline and the `debt.status_changed` event
    always say the same thing; checking the transition is the caller's business.
    """
    before = debt.status.value
    record(session, debt, "debt.status_changed", at=at, actor=actor,
           data={"before": before, "after": target.value, "cause": cause, **(data or {})})  # fmt: skip
    debt.status = target
    debt.updated_at = at
    return outbox.EventType.DEBT_STATUS_CHANGED.value, outbox.status_changed(
        debt, before, target.value, cause
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: {before, after}} for the fields that differ."""
    return {
        key: {"before": _plain(before.get(key)), "after": _plain(value)}
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, bytes | str | int | float):
        return str(value)
    return value
