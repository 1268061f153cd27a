"""Aggregates over activity in a time range: contacts, promises, decisions, agents, money."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent
from app.compliance.models import ComplianceDecision
from app.contacts.models import Contact, Outcome
from app.core.db import is_postgres
from app.debts.models import Debt, DebtEvent, Product
from app.payments.models import Payment
from app.plans.models import Installment, Plan, PlanKind, PlanStatus
from app.stats.repository import lender_filter

Lenders = Iterable[uuid.UUID] | None


def _product_filter(debt_id: Any, product: Product | None) -> Any:
    if product is None:
        return literal(True)
    return debt_id.in_(select(Debt.id).where(Debt.product == product))


async def contact_cube(
    session: AsyncSession, lenders: Lenders, product: Product | None, start: datetime, end: datetime
) -> list[tuple[str, str, str, int]]:
    """(channel, direction, outcome, contacts) with `occurred_at` in [start, end)."""
    stmt = (
        select(Contact.channel, Contact.direction, Contact.outcome, func.count())
        .where(
            lender_filter(Contact.lender_id, lenders),
            Contact.occurred_at >= start,
            Contact.occurred_at < end,
            _product_filter(Contact.debt_id, product),
        )
        .group_by(Contact.channel, Contact.direction, Contact.outcome)
    )
    return [(str(c), str(d), str(o), int(n)) for c, d, o, n in (await session.execute(stmt)).all()]


async def promise_outcomes(
    session: AsyncSession, lenders: Lenders, product: Product | None, first: date, last: date
) -> tuple[int, int]:
    """(resolved promise plans due in [first, last], of which completed)."""
    due = (
        select(Installment.plan_id, func.max(Installment.due_date).label("due_date"))
        .where(lender_filter(Installment.lender_id, lenders))
        .group_by(Installment.plan_id)
        .subquery()
    )
    completed = func.count().filter(Plan.status == PlanStatus.COMPLETED)
    stmt = (
        select(func.count(), completed)
        .select_from(Plan)
        .join(due, due.c.plan_id == Plan.id)
        .where(
            lender_filter(Plan.lender_id, lenders),
            Plan.kind == PlanKind.PROMISE,
            Plan.status.in_([PlanStatus.COMPLETED, PlanStatus.BROKEN]),
            due.c.due_date >= first,
            due.c.due_date <= last,
            _product_filter(Plan.debt_id, product),
        )
    )
    row = (await session.execute(stmt)).one()
    return int(row[0]), int(row[1] or 0)


async def decisions_by_verdict(
    session: AsyncSession, lenders: Lenders, product: Product | None, start: datetime, end: datetime
) -> dict[str, int]:
    stmt = (
        select(ComplianceDecision.decision, func.count())
        .where(*_decision_filters(lenders, product, start, end))
        .group_by(ComplianceDecision.decision)
    )
    return {str(v): int(n) for v, n in (await session.execute(stmt)).all()}


def _decision_filters(
    lenders: Lenders, product: Product | None, start: datetime, end: datetime
) -> list[Any]:
    return [
        lender_filter(ComplianceDecision.lender_id, lenders),
        ComplianceDecision.at >= start,
        ComplianceDecision.at < end,
        _product_filter(ComplianceDecision.debt_id, product),
    ]


async def decisions_by_reason(
    session: AsyncSession, lenders: Lenders, product: Product | None, start: datetime, end: datetime
) -> dict[str, int]:
    """Decisions naming each reason code, unnesting the `reasons` JSON list in the database."""
    if is_postgres(session):
        element = func.jsonb_array_elements(ComplianceDecision.reasons).table_valued("value")
        code: Any = element.c.value.op("->>")(literal("code"))
    else:
        element = func.json_each(ComplianceDecision.reasons).table_valued("value")
        code = func.json_extract(element.c.value, "$.code")
    stmt = (
        select(code.label("code"), func.count(func.distinct(ComplianceDecision.id)))
        .select_from(ComplianceDecision)
        .join(element, literal(True))
        .where(*_decision_filters(lenders, product, start, end))
        .group_by(code)
    )
    return {str(c): int(n) for c, n in (await session.execute(stmt)).all() if c is not None}


async def agent_contacts(
    session: AsyncSession, lenders: Lenders, product: Product | None, start: datetime, end: datetime
) -> list[tuple[uuid.UUID, int, int, int]]:
    """(agent, distinct debts, contacts, promises) for contacts with an agent in [start, end)."""
    promises = func.count().filter(Contact.outcome == Outcome.PROMISE_TO_PAY)
    stmt = (
        select(Contact.agent_id, func.count(func.distinct(Contact.debt_id)), func.count(), promises)
        .where(
            Contact.agent_id.is_not(None),
            lender_filter(Contact.lender_id, lenders),
            Contact.occurred_at >= start,
            Contact.occurred_at < end,
            _product_filter(Contact.debt_id, product),
        )
        .group_by(Contact.agent_id)
    )
    rows = (await session.execute(stmt)).all()
    return [(a, int(d), int(c), int(p)) for a, d, c, p in rows if a is not None]


async def agent_collections(
    session: AsyncSession, lenders: Lenders, product: Product | None, start: datetime, end: datetime
) -> list[tuple[uuid.UUID, str, int]]:
    """(assigned agent, currency, collected) for payments with `paid_at` in [start, end)."""
    stmt = (
        select(Debt.assigned_agent_id, Payment.currency, func.sum(Payment.amount_minor))
        .join(Debt, Debt.id == Payment.debt_id)
        .where(
            Debt.assigned_agent_id.is_not(None),
            lender_filter(Payment.lender_id, lenders),
            Payment.paid_at >= start,
            Payment.paid_at < end,
        )
        .group_by(Debt.assigned_agent_id, Payment.currency)
    )
    if product is not None:
        stmt = stmt.where(Debt.product == product)
    rows = (await session.execute(stmt)).all()
    return [(a, str(c), int(n)) for a, c, n in rows if a is not None]


async def agent_names(session: AsyncSession, agent_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not agent_ids:
        return {}
    stmt = select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids))
    return {a: str(n) for a, n in (await session.execute(stmt)).all()}


Interval = tuple[int, datetime, datetime]  # (index, start instant, end instant)


def _interval_index(instant: Any, intervals: list[Interval]) -> Any:
    """The index of the interval an instant falls in (the caller bounds it to the whole range).

    A CASE over the ordered interval ends: portable (SQLite has no VALUES column aliases) and
    evaluated only for the rows the range condition keeps.
    """
    if len(intervals) == 1:
        return literal(intervals[0][0])
    whens = [(instant < end, literal(idx)) for idx, _, end in intervals[:-1]]
    return case(*whens, else_=literal(intervals[-1][0]))


async def collected_by_interval(
    session: AsyncSession, lenders: Lenders, product: Product | None, intervals: list[Interval]
) -> list[tuple[int, str, int]]:
    """(interval index, currency, sum of payments) with `paid_at` inside each interval."""
    idx = _interval_index(Payment.paid_at, intervals).label("idx")
    rows = (
        select(idx, Payment.currency.label("currency"), Payment.amount_minor.label("amount"))
        .where(
            lender_filter(Payment.lender_id, lenders),
            Payment.paid_at >= intervals[0][1],
            Payment.paid_at < intervals[-1][2],
            _product_filter(Payment.debt_id, product),
        )
        .subquery()
    )
    stmt = select(rows.c.idx, rows.c.currency, func.sum(rows.c.amount)).group_by(
        rows.c.idx, rows.c.currency
    )
    return [(int(i), str(c), int(n)) for i, c, n in (await session.execute(stmt)).all()]


async def placed_by_interval(
    session: AsyncSession, lenders: Lenders, product: Product | None, intervals: list[Interval]
) -> list[tuple[int, str, int]]:
    """(interval index, currency, balance + fees as received) of debts created in each interval."""
    idx = _interval_index(DebtEvent.at, intervals).label("idx")
    data = DebtEvent.data
    amount = data["balance_minor"].as_integer() + func.coalesce(data["fees_minor"].as_integer(), 0)
    currency = data["currency"].as_string()
    rows = (
        select(idx, currency.label("currency"), amount.label("amount"))
        .where(
            DebtEvent.type == "debt.created",
            lender_filter(DebtEvent.lender_id, lenders),
            DebtEvent.at >= intervals[0][1],
            DebtEvent.at < intervals[-1][2],
            _product_filter(DebtEvent.debt_id, product),
        )
        .subquery()
    )
    stmt = select(rows.c.idx, rows.c.currency, func.sum(rows.c.amount)).group_by(
        rows.c.idx, rows.c.currency
    )
    return [(int(i), str(c), int(n)) for i, c, n in (await session.execute(stmt)).all()]
