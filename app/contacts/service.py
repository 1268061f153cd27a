"""Contacts: the only door for outreach.

record_contact, for an outbound attempt: lock the debtor row (PostgreSQL; SQLite writers are
serialised by BEGIN IMMEDIATE) → load history, holds and consents → evaluate at the server's now →
store the decision → store the contact, all in one transaction. So two concurrent attempts cannot
both take the last slot, on one replica or many. A blocked attempt stores its decision and commits
before answering 409: the one place besides the unit of work that commits (the evidence must
survive the refusal).

On PostgreSQL an outbound attempt is two driver-level statements inside the request's
transaction — the debtor's lock with the decision's facts and the lender's webhook subscriptions
(`repository.lock_and_load_postgres`, which reads the facts again when the lock had to wait for
another attempt's contact), then the decision, contact, timeline entry, deliveries and the
debtor's contact count in one statement (`writer.store_attempt`) — and COMMIT; the rows are
plain records, never ORM objects. SQLite, inbound contacts and the consequences of an outcome
reported with the attempt go through the ORM; both paths write the same rows, and the tests run
on both databases.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import service as compliance_service
from app.compliance.loader import Destination, Facts
from app.compliance.models import ComplianceDecision, Hold
from app.contacts import effects, repository, writer
from app.contacts.models import Contact, Direction, Outcome
from app.contacts.schemas import (
    ContactCreate,
    ContactOut,
    ImportRequest,
    OutcomeReport,
    decision_summary,
)
from app.core.auth import Principal
from app.core.db import is_postgres
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.core.roles import Role
from app.debts import events
from app.debts import service as debts_service
from app.debts.models import Debt
from app.webhooks import outbox


class ContactNotFound(NotFound):
    title = "Contact not found"


class ComplianceBlocked(Conflict):
    slug, title = "compliance-blocked", "The compliance rules do not allow this outreach now"


class OutcomeAlreadyReported(Conflict):
    slug, title = "outcome-already-reported", "This contact already has its outcome"


async def _also_debts(
    session: AsyncSession,
    principal: Principal,
    debt: Debt | repository.LockedDebt,
    ids: list[uuid.UUID],
) -> list[str]:
    found = []
    for index, other_id in enumerate(dict.fromkeys(ids)):
        other = await debts_service.load_debt_or_none(session, principal, other_id)
        if other is None or other.debtor_id != debt.debtor_id or other.id == debt.id:
            raise InvalidInput(f"#/also_debt_ids/{index}", "Not another debt of the same debtor.")
        found.append(str(other.id))
    return found


def _agent(principal: Principal, agent_id: uuid.UUID | None) -> uuid.UUID | None:
    if principal.role is Role.AGENT:
        if agent_id is not None and agent_id != principal.agent_id:
            raise InvalidInput("#/agent_id", "An agent records its own contacts.")
        return principal.agent_id
    return agent_id


def to_out(contact: Any, decision: Any) -> ContactOut:
    return ContactOut(
        id=contact.id,
        debt_id=contact.debt_id,
        debtor_id=contact.debtor_id,
        channel=contact.channel,
        direction=contact.direction,
        source=contact.source,
        outcome=contact.outcome,
        contact_point_id=contact.contact_point_id,
        to=contact.to,
        purpose=contact.purpose,
        agent_id=contact.agent_id,
        also_debt_ids=[uuid.UUID(i) for i in contact.also_debt_ids],
        occurred_at=contact.occurred_at,
        notes=contact.notes,
        decision=decision_summary(decision),
    )


async def record_contact(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    body: ContactCreate,
    *,
    now: datetime,
) -> ContactOut:
    postgres = is_postgres(session)
    debt: Debt | repository.LockedDebt | None
    if postgres:
        locked = await repository.lock_and_load_postgres(
            session, debt_id, principal.lender_scope, now
        )
        if locked is None:
            raise debts_service.DebtNotFound()
        debt, facts = locked
    else:
        debt = await repository.debt_locking_debtor(session, debt_id, principal.lender_scope)
        if debt is None:
            raise debts_service.DebtNotFound()
        facts = await compliance_service.load_one(session, principal, debt.id, now)
    also = await _also_debts(session, principal, debt, body.also_debt_ids)
    agent_id = _agent(principal, body.agent_id)
    channel = body.channel.value
    destination = compliance_service.resolve_destination(
        facts,
        channel,
        body.contact_point_id,
        body.to,
        body.destination_type.value if body.destination_type else None,
    )
    fields = _fields(debt, destination, body, agent_id, also)
    contact: Any
    if body.direction is Direction.INBOUND:
        contact = writer.add_inbound(
            session, outcome=body.outcome or Outcome.CONVERSATION, fields=fields, now=now
        )
        await session.flush()
        if postgres:
            await repository.count_contact_postgres(session, debt.debtor_id)
        await effects.apply(
            session, principal, await _orm_debt(session, principal, debt), contact, body, now=now
        )
        await _publish(session, contact, now)
        return to_out(contact, None)
    decision = compliance_service.decide(
        facts, at=now, channel=channel, purpose=body.purpose, destination=destination
    )
    inputs = {
        "agent_id": str(agent_id) if agent_id else None,
        "contact_point_id": fields["contact_point_id"] and str(fields["contact_point_id"]),
        "destination_type": fields["destination_type"],
        "also_debt_ids": also,
        "direction": "outbound",
    }
    values = compliance_service.decision_values(
        facts,
        decision,
        channel=channel,
        purpose=body.purpose,
        destination=destination,
        inputs=inputs,
    )
    # PostgreSQL writes the rows itself (writer.store_*): plain records, no ORM state.
    row: Any = SimpleNamespace(**values) if postgres else ComplianceDecision(**values)
    if not decision.allowed:
        if postgres:
            await writer.store_refusal(session, row)
        else:
            session.add(row)
        await session.commit()  # the evidence of a refusal is kept although the request fails
        raise ComplianceBlocked(
            "; ".join(r.message for r in decision.reasons),
            decision_id=str(row.id),
            reasons=[r.to_dict() for r in decision.reasons],
            next_allowed_at=decision.to_dict()["next_allowed_at"],
        )
    outcome = body.outcome or Outcome.RESERVED
    if postgres:
        # One statement for the evidence, the contact, its timeline entry and its deliveries.
        contact = SimpleNamespace(
            **writer.live_outbound(decision=row, outcome=outcome, fields=fields, now=now)
        )
        await writer.store_attempt(
            session,
            decision=row,
            contact=contact,
            timeline=effects.timeline_entry(principal, debt, contact, now=now),
            deliveries=await outbox.pending_deliveries(
                session, lender_id=contact.lender_id, events=[_recorded(contact)], at=now
            ),
        )
        if outcome is not Outcome.RESERVED:
            orm_debt = await _orm_debt(session, principal, debt)
            await effects.consequences(session, principal, orm_debt, contact, body, now=now)
    else:
        session.add(row)
        contact = writer.add_live_outbound(
            session, decision=row, outcome=outcome, fields=fields, now=now
        )
        await session.flush()
        orm_debt = await _orm_debt(session, principal, debt)
        await effects.apply(session, principal, orm_debt, contact, body, now=now)
        await _publish(session, contact, now)
    await _use_opt_out_confirmation(session, facts, destination, body, decision.warnings)
    return to_out(contact, row)


async def _orm_debt(
    session: AsyncSession, principal: Principal, debt: Debt | repository.LockedDebt
) -> Debt:
    """The mapped debt, for effects that change it (PostgreSQL's attempt reads only its ids)."""
    if isinstance(debt, Debt):
        return debt
    return await debts_service.load_debt(session, principal, debt.id)


def _recorded(contact: Any) -> tuple[str, dict[str, Any]]:
    return outbox.EventType.CONTACT_RECORDED.value, outbox.contact_recorded(contact)


async def _publish(session: AsyncSession, contact: Any, now: datetime) -> None:
    await outbox.emit_many(
        session, lender_id=contact.lender_id, events=[_recorded(contact)], at=now
    )


def _fields(
    debt: Debt | repository.LockedDebt,
    destination: Destination | None,
    body: ContactCreate,
    agent_id: uuid.UUID | None,
    also: list[str],
) -> dict[str, Any]:
    return {
        "lender_id": debt.lender_id,
        "debt_id": debt.id,
        "debtor_id": debt.debtor_id,
        "channel": body.channel,
        "contact_point_id": destination.contact_point_id if destination else None,
        "to": destination.value if destination else None,
        "destination_type": destination.type if destination else None,
        "purpose": body.purpose,
        "agent_id": agent_id,
        "also_debt_ids": also,
        "notes": body.notes,
    }


async def _use_opt_out_confirmation(
    session: AsyncSession,
    facts: Facts,
    destination: Destination | None,
    body: ContactCreate,
    _warnings: Any,
) -> None:
    """The one opt-out confirmation a channel_opt_out hold allows is now spent."""
    if body.purpose != "opt_out_confirmation":
        return
    holds: list[Hold] = await repository.opt_out_holds(
        session, facts.debt.debtor_id, body.channel.value
    )
    for hold in holds:
        if hold.contact_point_id is None or (
            destination and hold.contact_point_id == destination.contact_point_id
        ):
            hold.opt_out_confirmations_used += 1


async def report_outcome(
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    body: OutcomeReport,
    *,
    now: datetime,
) -> ContactOut:
    contact = await repository.get(session, contact_id, principal.lender_scope, for_update=True)
    if contact is None:
        raise ContactNotFound()
    if contact.outcome is not Outcome.RESERVED:
        raise OutcomeAlreadyReported(f"The outcome is already {contact.outcome.value}.")
    debt = await debts_service.load_debt(session, principal, contact.debt_id, for_update=True)
    contact.outcome = body.outcome
    if body.notes is not None:
        contact.notes = body.notes
    contact.updated_at = now
    await session.flush()
    await effects.apply(session, principal, debt, contact, body, now=now)
    decisions = await repository.decisions_by_id(
        session, [contact.decision_id] if contact.decision_id else []
    )
    return to_out(contact, decisions.get(contact.decision_id) if contact.decision_id else None)


async def get_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> ContactOut:
    contact = await repository.get(session, contact_id, principal.lender_scope)
    if contact is None:
        raise ContactNotFound()
    decisions = await repository.decisions_by_id(
        session, [contact.decision_id] if contact.decision_id else []
    )
    return to_out(contact, decisions.get(contact.decision_id) if contact.decision_id else None)


async def list_contacts(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, page: PageRequest
) -> tuple[list[ContactOut], str | None]:
    await debts_service.load_debt(session, principal, debt_id)
    rows, next_cursor = await page.fetch(
        session, repository.for_debt(debt_id), Contact.occurred_at, Contact.id
    )
    decisions = await repository.decisions_by_id(
        session, [r.decision_id for r in rows if r.decision_id]
    )
    return [
        to_out(r, decisions.get(r.decision_id) if r.decision_id else None) for r in rows
    ], next_cursor


async def import_history(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    body: ImportRequest,
    *,
    now: datetime,
) -> int:
    """History from the lender's previous system: not evaluated, counted by every rule from now on."""
    debt = await debts_service.load_debt(session, principal, debt_id)
    facts = await compliance_service.load_one(session, principal, debt.id, now)
    rows = []
    for index, item in enumerate(body.items):
        if item.occurred_at > now + compliance_service.MAX_AHEAD:
            raise InvalidInput(f"#/items/{index}/occurred_at", "History cannot be in the future.")
        try:
            also = await _also_debts(session, principal, debt, item.also_debt_ids)
            destination = compliance_service.resolve_destination(
                facts, item.channel.value, item.contact_point_id, item.to, None
            )
        except InvalidInput as exc:
            pointer = exc.extra["errors"][0]["pointer"].lstrip("#")
            raise InvalidInput(f"#/items/{index}{pointer}", exc.detail) from None
        rows.append(
            {
                "lender_id": debt.lender_id,
                "debt_id": debt.id,
                "debtor_id": debt.debtor_id,
                "channel": item.channel,
                "direction": item.direction,
                "outcome": item.outcome,
                "contact_point_id": destination.contact_point_id if destination else None,
                "to": destination.value if destination else None,
                "destination_type": destination.type if destination else None,
                "purpose": item.purpose,
                "agent_id": None,
                "also_debt_ids": also,
                "occurred_at": item.occurred_at,
                "notes": None,
            }
        )
    imported = await writer.add_imported(session, rows, now)
    events.record(
        session,
        debt,
        "contacts.imported",
        at=now,
        actor=events.actor_of(principal),
        data={"imported": imported},
    )
    return imported
