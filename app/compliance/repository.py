"""Queries on holds, consents and decisions; every one is scoped by lender."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.models import ComplianceDecision, Consent, Hold
from app.contacts.models import Contact


async def get_hold(
    session: AsyncSession, debtor_id: uuid.UUID, hold_id: uuid.UUID, *, for_update: bool = False
) -> Hold | None:
    stmt = select(Hold).where(Hold.id == hold_id, Hold.debtor_id == debtor_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


def holds_query(debtor_id: uuid.UUID) -> Select[Hold]:
    return select(Hold).where(Hold.debtor_id == debtor_id)


def consents_query(debtor_id: uuid.UUID) -> Select[Consent]:
    return select(Consent).where(Consent.debtor_id == debtor_id)


async def active_dispute_holds(session: AsyncSession, debt_id: uuid.UUID) -> list[Hold]:
    stmt = select(Hold).where(
        Hold.debt_id == debt_id, Hold.type == "dispute", Hold.released_at.is_(None)
    )
    return list((await session.scalars(stmt)).all())


def decisions_query(scope: frozenset[uuid.UUID] | None) -> Select[ComplianceDecision]:
    stmt = select(ComplianceDecision)
    if scope is not None:
        stmt = stmt.where(ComplianceDecision.lender_id.in_(scope))
    return stmt


async def get_decision(
    session: AsyncSession, decision_id: uuid.UUID, scope: frozenset[uuid.UUID] | None
) -> ComplianceDecision | None:
    stmt = decisions_query(scope).where(ComplianceDecision.id == decision_id)
    return await session.scalar(stmt)


async def contact_ids_for(
    session: AsyncSession, decision_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    if not decision_ids:
        return {}
    stmt = select(Contact.decision_id, Contact.id).where(Contact.decision_id.in_(decision_ids))
    return {d: c for d, c in (await session.execute(stmt)).all() if d is not None}
