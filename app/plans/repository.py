"""Queries on plans and installments; every tenant-facing one is scoped by lender."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.debts.models import Debt
from app.lenders.models import Lender
from app.plans.models import OPEN_PLAN_STATUSES, Installment, Plan, PlanStatus

_WITH_INSTALLMENTS = selectinload(Plan.installments)
# Plans are re-read after the debt row is locked: the locked read must win over the identity map.
_FRESH = {"populate_existing": True}


def _scoped(stmt: Any, scope: frozenset[uuid.UUID] | None) -> Any:
    return stmt if scope is None else stmt.where(Plan.lender_id.in_(scope))


async def get(
    session: AsyncSession, plan_id: uuid.UUID, scope: frozenset[uuid.UUID] | None
) -> Plan | None:
    stmt = _scoped(select(Plan).where(Plan.id == plan_id), scope).options(_WITH_INSTALLMENTS)
    return await session.scalar(stmt.execution_options(**_FRESH))


async def open_plan(session: AsyncSession, debt_id: uuid.UUID) -> Plan | None:
    """The debt's pending or active plan, if any (at most one)."""
    stmt = (
        select(Plan)
        .where(Plan.debt_id == debt_id, Plan.status.in_(OPEN_PLAN_STATUSES))
        .options(_WITH_INSTALLMENTS)
        .execution_options(**_FRESH)
    )
    return await session.scalar(stmt)


async def active_plan(session: AsyncSession, debt_id: uuid.UUID) -> Plan | None:
    plan = await open_plan(session, debt_id)
    return plan if plan is not None and plan.status is PlanStatus.ACTIVE else None


def list_query(debt_id: uuid.UUID) -> Select[Plan]:
    return select(Plan).where(Plan.debt_id == debt_id).options(_WITH_INSTALLMENTS)


def add(session: AsyncSession, plan: Plan, installments: Sequence[Installment]) -> Plan:
    session.add(plan)
    session.add_all(installments)
    return plan


async def lender_terms(session: AsyncSession, lender_id: uuid.UUID) -> tuple[str, int]:
    """(timezone, max_discount_pct) of a lender."""
    stmt = select(Lender.timezone, Lender.max_discount_pct).where(Lender.id == lender_id)
    row = (await session.execute(stmt)).one()
    return row[0], row[1]


async def break_candidates(
    session: AsyncSession, latest_breaks_on: date, limit: int
) -> list[tuple[uuid.UUID, date, str]]:
    """(debt_id, breaks_on, lender timezone) of active plans that may be past their grace."""
    stmt = (
        select(Plan.debt_id, Plan.breaks_on, Lender.timezone)
        .join(Lender, Lender.id == Plan.lender_id)
        .where(Plan.status == PlanStatus.ACTIVE, Plan.breaks_on <= latest_breaks_on)
        .order_by(Plan.breaks_on, Plan.debt_id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [(r[0], r[1], r[2]) for r in rows if r[1] is not None]


async def lock_debts(
    session: AsyncSession, debt_ids: Sequence[uuid.UUID], *, skip_locked: bool
) -> list[Debt]:
    """Row-lock debts in id order; with skip_locked, rows another transaction holds are left out.

    SQLite has no row locks; its writers are serialised by BEGIN IMMEDIATE instead.
    """
    if not debt_ids:
        return []
    stmt = (
        select(Debt)
        .where(Debt.id.in_(list(debt_ids)))
        .order_by(Debt.id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(**_FRESH)
    )
    return list((await session.scalars(stmt)).all())
