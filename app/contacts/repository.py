"""Queries on contacts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.models import ComplianceDecision, Hold
from app.contacts.models import Contact
from app.core.pg import PgStatement
from app.debtors.models import Debtor
from app.debts.models import Debt
from app.debts.repository import scoped
from app.webhooks import outbox
from app.webhooks.repository import LIVE_SUBSCRIPTIONS


@dataclass(frozen=True, slots=True)
class LockedDebt:
    """The ids a contact attempt needs of its debt, read with the debtor's row lock."""

    id: uuid.UUID
    lender_id: uuid.UUID
    debtor_id: uuid.UUID


_LOCK = f"""
SELECT d.id, d.lender_id, d.debtor_id, {LIVE_SUBSCRIPTIONS.format(lender="d.lender_id")}
FROM debts d JOIN debtors b ON b.id = d.debtor_id
WHERE d.id = :debt_id{{scope}}
FOR UPDATE OF b
"""
_LOCK_ALL = PgStatement(_LOCK.format(scope=""))
_LOCK_SCOPED = PgStatement(_LOCK.format(scope=" AND d.lender_id = ANY(:scope)"))


async def lock_debt_postgres(
    session: AsyncSession, debt_id: uuid.UUID, scope: frozenset[uuid.UUID] | None
) -> LockedDebt | None:
    """`debt_locking_debtor` on PostgreSQL in one driver-level statement, which also reads the
    lender's webhook subscriptions (primed for the outbox): the transaction begins here."""
    params: dict[str, object] = {"debt_id": debt_id}
    statement = _LOCK_ALL
    if scope is not None:
        statement, params["scope"] = _LOCK_SCOPED, list(scope)
    row = await statement.fetchrow(session, params, begin=True)
    if row is None:
        return None
    outbox.prime_subscriptions(session, row[1], row[3])
    return LockedDebt(row[0], row[1], row[2])


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
