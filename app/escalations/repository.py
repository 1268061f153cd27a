"""Queries on escalations; every one is scoped by lender."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.models import Contact, Direction
from app.core.db import is_postgres
from app.debts.models import Debt, DebtStatus
from app.escalations.models import Escalation, EscalationStatus
from app.lenders.models import Lender


def _scoped(stmt: Select[Escalation], scope: frozenset[uuid.UUID] | None) -> Select[Escalation]:
    return stmt if scope is None else stmt.where(Escalation.lender_id.in_(scope))


async def get(
    session: AsyncSession,
    escalation_id: uuid.UUID,
    scope: frozenset[uuid.UUID] | None,
    *,
    for_update: bool = False,
) -> Escalation | None:
    stmt = _scoped(select(Escalation).where(Escalation.id == escalation_id), scope)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def pending_for(session: AsyncSession, debt: Debt) -> Escalation | None:
    stmt = select(Escalation).where(
        Escalation.lender_id == debt.lender_id,
        Escalation.debt_id == debt.id,
        Escalation.status == EscalationStatus.PENDING_APPROVAL,
    )
    return await session.scalar(stmt)


async def history_of(session: AsyncSession, debt: Debt) -> list[Escalation]:
    """Every escalation of the debt, oldest first."""
    stmt = (
        select(Escalation)
        .where(Escalation.lender_id == debt.lender_id, Escalation.debt_id == debt.id)
        .order_by(Escalation.created_at, Escalation.id)
    )
    return list((await session.scalars(stmt)).all())


def add(session: AsyncSession, escalation: Escalation) -> Escalation:
    session.add(escalation)
    return escalation


@dataclass(frozen=True)
class ListFilters:
    status: EscalationStatus | None = None
    level: str | None = None
    lender_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    debt_id: uuid.UUID | None = None


def list_query(scope: frozenset[uuid.UUID] | None, filters: ListFilters) -> Select[Escalation]:
    stmt = _scoped(select(Escalation), scope)
    if filters.status is not None:
        stmt = stmt.where(Escalation.status == filters.status)
    if filters.level is not None:
        stmt = stmt.where(Escalation.to_level == filters.level)
    if filters.lender_id is not None:
        stmt = stmt.where(Escalation.lender_id == filters.lender_id)
    if filters.debt_id is not None:
        stmt = stmt.where(Escalation.debt_id == filters.debt_id)
    if filters.agent_id is not None:
        assigned = select(Debt.id).where(Debt.assigned_agent_id == filters.agent_id)
        stmt = stmt.where(
            or_(
                Escalation.requested_by_agent_id == filters.agent_id,
                Escalation.debt_id.in_(assigned),
            )
        )
    return stmt


# --- automatic rules -------------------------------------------------------------------------


async def lenders_with_rules(session: AsyncSession) -> list[Lender]:
    stmt = select(Lender).order_by(Lender.id)
    return [lender for lender in (await session.scalars(stmt)).all() if lender.escalation_rules]


def contact_count(
    debt_id: Any,
    outcomes: Sequence[str],
    *,
    until: datetime,
    since: datetime | None,
    outbound_only: bool,
) -> ScalarSelect[int]:
    """How many contacts of the debt had one of `outcomes`, in (since, until]."""
    stmt = select(func.count(Contact.id)).where(
        Contact.debt_id == debt_id,
        Contact.outcome.in_(list(outcomes)),
        Contact.occurred_at <= until,
    )
    if since is not None:
        stmt = stmt.where(Contact.occurred_at > since)
    if outbound_only:
        stmt = stmt.where(Contact.direction == Direction.OUTBOUND)
    return stmt.scalar_subquery()


async def count_contacts(
    session: AsyncSession,
    debt: Debt,
    outcomes: Sequence[str],
    *,
    until: datetime,
    since: datetime | None,
    outbound_only: bool,
) -> int:
    expr = contact_count(debt.id, outcomes, until=until, since=since, outbound_only=outbound_only)
    return int(await session.scalar(select(expr)) or 0)


async def rule_candidates(
    session: AsyncSession,
    lender_id: uuid.UUID,
    *,
    levels: Sequence[str],
    statuses: Sequence[DebtStatus],
    rule_name: str,
    condition: ColumnElement[bool],
    value: ColumnElement[Any],
    limit: int,
) -> list[tuple[Debt, Any]]:
    """Debts of the lender the rule would move now, row-locked (others' locked rows skipped)."""
    pending = select(Escalation.id).where(
        Escalation.debt_id == Debt.id, Escalation.status == EscalationStatus.PENDING_APPROVAL
    )
    fired = select(Escalation.id).where(
        Escalation.debt_id == Debt.id,
        Escalation.rule_name == rule_name,
        Escalation.from_level == Debt.escalation_level,
    )
    stmt = (
        select(Debt, value)
        .where(
            Debt.lender_id == lender_id,
            Debt.status.in_(list(statuses)),
            Debt.escalation_level.in_(list(levels)),
            ~pending.exists(),
            ~fired.exists(),
            condition,
        )
        .order_by(Debt.due_date, Debt.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True, of=Debt)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def rule_fired(session: AsyncSession, debt: Debt, rule_name: str) -> bool:
    stmt = select(Escalation.id).where(
        Escalation.lender_id == debt.lender_id,
        Escalation.debt_id == debt.id,
        Escalation.rule_name == rule_name,
        Escalation.from_level == debt.escalation_level,
    )
    return await session.scalar(stmt.limit(1)) is not None


async def lender_of(session: AsyncSession, debt: Debt) -> Lender:
    lender = await session.get(Lender, debt.lender_id)
    assert lender is not None
    return lender
