"""Queries on contacts."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.models import ComplianceDecision, Hold
from app.contacts.models import Contact
from app.debtors.models import Debtor
from app.debts.models import Debt
from app.debts.repository import scoped


async def debt_locking_debtor(
    session: AsyncSession, debt_id: uuid.UUID, scope: frozenset[uuid.UUID] | None
) -> Debt | None:
    """The caller's debt with its debtor's row locked, in one statement.

    Every contact attempt on one debtor queues on that lock before it reads any history, so
    attempts are serialised per debtor (SQLite ignores FOR UPDATE: its writers are serialised by
    BEGIN IMMEDIATE already)."""
    stmt = (
        scoped(select(Debt).join(Debtor, Debtor.id == Debt.debtor_id), scope)
        .where(Debt.id == debt_id)
        .with_for_update(of=Debtor)
    )
    return await session.scalar(stmt)


async def get(
    session: AsyncSession,
    contact_id: uuid.UUID,
    scope: frozenset[uuid.UUID] | None,
    *,
    for_update: bool = False,
) -> Contact | None:
    stmt = select(Contact).where(Contact.id == contact_id)
    if scope is not None:
        stmt = stmt.where(Contact.lender_id.in_(scope))
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def decisions_by_id(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, ComplianceDecision]:
    if not ids:
        return {}
    stmt = select(ComplianceDecision).where(ComplianceDecision.id.in_(ids))
    return {d.id: d for d in (await session.scalars(stmt)).all()}


def for_debt(debt_id: uuid.UUID) -> Select[Contact]:
    return select(Contact).where(Contact.debt_id == debt_id)


async def opt_out_holds(session: AsyncSession, debtor_id: uuid.UUID, channel: str) -> list[Hold]:
    stmt = (
        select(Hold)
        .where(
            Hold.debtor_id == debtor_id,
            Hold.type == "channel_opt_out",
            Hold.channel == channel,
            Hold.released_at.is_(None),
        )
        .with_for_update()
    )
    return list((await session.scalars(stmt)).all())
