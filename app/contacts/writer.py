"""The one place that creates contact rows.

A live outbound contact needs the allowing decision that licenses it (the database checks it
too: composite foreign key to the decision's id, debt and channel, unique per decision).
Imported and inbound rows need none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.models import ComplianceDecision, Verdict
from app.contacts.models import Contact, Direction, Outcome, Source
from app.core.types import new_id


class UnlicensedContact(RuntimeError):
    """Code tried to record outreach that the rules service did not allow."""


def add_live_outbound(
    session: AsyncSession,
    *,
    decision: ComplianceDecision,
    outcome: Outcome,
    fields: dict[str, Any],
    now: datetime,
) -> Contact:
    """An outbound attempt licensed by `decision` (which must allow this debt and channel)."""
    if decision.decision is not Verdict.ALLOW:
        raise UnlicensedContact("a blocked decision licenses nothing")
    if fields["debt_id"] != decision.debt_id or fields["channel"] != decision.channel:
        raise UnlicensedContact("the decision is for another debt or channel")
    contact = Contact(
        id=new_id(),
        direction=Direction.OUTBOUND,
        source=Source.LIVE,
        outcome=outcome,
        decision_id=decision.id,
        decision_verdict=Verdict.ALLOW.value,
        occurred_at=decision.at,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(contact)
    return contact


def add_inbound(
    session: AsyncSession, *, outcome: Outcome, fields: dict[str, Any], now: datetime
) -> Contact:
    """A contact the debtor started: recorded without evaluation."""
    contact = Contact(
        id=new_id(),
        direction=Direction.INBOUND,
        source=Source.INBOUND,
        outcome=outcome,
        occurred_at=now,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(contact)
    return contact


async def add_imported(session: AsyncSession, rows: list[dict[str, Any]], now: datetime) -> int:
    """History from a lender's previous system: not evaluated, counted from now on."""
    values = [
        {
            **row,
            "id": new_id(),
            "source": Source.IMPORT,
            "decision_id": None,
            "decision_verdict": None,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    if values:
        await session.execute(insert(Contact), values)
    return len(values)
