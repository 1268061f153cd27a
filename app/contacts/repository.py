"""Queries on contacts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import one
from app.compliance.loader import Facts
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


# The debtor's row lock, the decision's facts, the lender's webhook subscriptions and whether
# the locked row is the version this statement's snapshot sees (`xmin` unchanged), in one
# statement. When another attempt held the lock, recorded a contact (which increments
# `debtors.contact_seq`) and committed while this statement waited, PostgreSQL returns the
# row's new version but the rest of the statement still reads the older snapshot: the versions
# differ and the facts are read again, now under the lock.
_LOCKED_FACTS = one.FactsStatement(
    extra=(
        "b.xmin = (SELECT s.xmin FROM debtors s WHERE s.id = b.id), "
        + LIVE_SUBSCRIPTIONS.format(lender="d.lender_id")
    ),
    suffix="FOR UPDATE OF b",
)
_BUMP = PgStatement("UPDATE debtors SET contact_seq = contact_seq + 1 WHERE id = :debtor_id")


async def lock_and_load_postgres(
    session: AsyncSession, debt_id: uuid.UUID, scope: frozenset[uuid.UUID] | None, at: datetime
) -> tuple[LockedDebt, Facts] | None:
    """PostgreSQL: lock the debtor of one of the caller's debts and read the facts of a decision
    at `at` (the transaction begins here); the lender's subscriptions are primed for the outbox."""
    found = await one.fetch_facts(session, _LOCKED_FACTS, debt_id, at=at, scope=scope, begin=True)
    if found is None:
        return None
    facts, (fresh, endpoints) = found
    outbox.prime_subscriptions(session, facts.debt.lender_id, endpoints)
    if not fresh:
        again = await one.load_one_postgres(session, debt_id, at=at, scope=scope, begin=True)
        if again is None:
            return None
        facts = again
    debt = facts.debt
    return LockedDebt(debt.id, debt.lender_id, debt.debtor_id), facts


async def count_contact_postgres(session: AsyncSession, debtor_id: uuid.UUID) -> None:
    """A contact recorded under the debtor's lock outside `writer.store_attempt` (which counts
    its own): waiting attempts see the debtor row change (see `_LOCKED_FACTS`)."""
    await _BUMP.fetch(session, {"debtor_id": debtor_id}, begin=True)


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
