"""The one place that creates contact rows.

A live outbound contact needs the allowing decision that licenses it (the database checks it
too: composite foreign key to the decision's id, debt and channel, unique per decision).
Imported and inbound rows need none.

On PostgreSQL a contact attempt stores its evidence without the ORM: the decision, the contact,
its timeline entry and its outbound deliveries go in one driver-level statement (`store_attempt`;
a refusal's decision alone in `store_refusal`). Their columns come from the same functions that
build the SQLite path's ORM rows, and are written column for column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.models import ComplianceDecision, Verdict
from app.contacts.models import Contact, Direction, Outcome, Source
from app.core.pg import PgStatement
from app.core.types import new_id


class UnlicensedContact(RuntimeError):
    """Code tried to record outreach that the rules service did not allow."""


def _check_licence(decision: Any, debt_id: Any, channel: Any) -> None:
    if decision.decision is not Verdict.ALLOW:
        raise UnlicensedContact("a blocked decision licenses nothing")
    if debt_id != decision.debt_id or channel != decision.channel:
        raise UnlicensedContact("the decision is for another debt or channel")


def live_outbound(
    *,
    decision: Any,
    outcome: Outcome,
    fields: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The columns of an outbound attempt licensed by `decision` (a ComplianceDecision or a
    record with its columns, which must allow this debt and channel): `add_live_outbound` adds
    the row to the session, `store_attempt` writes it."""
    _check_licence(decision, fields["debt_id"], fields["channel"])
    return {
        "id": new_id(),
        "direction": Direction.OUTBOUND,
        "source": Source.LIVE,
        "outcome": outcome,
        "decision_id": decision.id,
        "decision_verdict": Verdict.ALLOW.value,
        "occurred_at": decision.at,
        "created_at": now,
        "updated_at": now,
        **fields,
    }


def add_live_outbound(
    session: AsyncSession,
    *,
    decision: ComplianceDecision,
    outcome: Outcome,
    fields: dict[str, Any],
    now: datetime,
) -> Contact:
    contact = Contact(**live_outbound(decision=decision, outcome=outcome, fields=fields, now=now))
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


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


_DECISION = """INSERT INTO compliance_decisions (id, lender_id, debt_id, debtor_id, channel,
    purpose, destination, at, decision, reasons, warnings, next_allowed_at, candidate_zones,
    profiles, counters, inputs)
VALUES (:decision_id, :lender_id, :debt_id, :debtor_id, :channel, :purpose, :destination,
    :decided_at, :verdict, :reasons, :warnings, :next_allowed_at, :candidate_zones, :profiles,
    :counters, :inputs)"""

_STORE_REFUSAL = PgStatement(_DECISION)

_STORE_ATTEMPT = PgStatement(f"""
WITH decision AS ({_DECISION}),
contact AS (
    INSERT INTO contacts (id, lender_id, debt_id, debtor_id, channel, direction, source, outcome,
        contact_point_id, "to", destination_type, purpose, agent_id, also_debt_ids, occurred_at,
        decision_id, decision_verdict, notes, created_at, updated_at)
    VALUES (:contact_id, :lender_id, :debt_id, :debtor_id, :channel, :direction, :source,
        :outcome, :contact_point_id, :to, :destination_type, :purpose, :agent_id, :also_debt_ids,
        :occurred_at, :decision_id, :verdict, :notes, :created_at, :created_at)),
timeline AS (
    INSERT INTO debt_events (id, lender_id, debt_id, at, type, actor, data)
    VALUES (:event_id, :lender_id, :debt_id, :event_at, :event_type, :event_actor, :event_data)),
counted AS (
    UPDATE debtors SET contact_seq = contact_seq + 1 WHERE id = :debtor_id)
INSERT INTO webhook_deliveries (id, lender_id, endpoint_id, event_id, event_type, payload, status,
    attempts, next_attempt_at, history, created_at)
SELECT w.id, :lender_id, w.endpoint_id, w.event_id, w.event_type, w.payload, w.status, 0, w.due,
    '[]'::jsonb, w.created_at
FROM unnest(:w_ids::uuid[], :w_endpoints::uuid[], :w_events::uuid[], :w_types::text[],
            :w_payloads::jsonb[], :w_statuses::text[], :w_due::timestamptz[],
            :w_created::timestamptz[])
     AS w(id, endpoint_id, event_id, event_type, payload, status, due, created_at)
""")


def _decision_params(decision: Any) -> dict[str, Any]:
    return {
        "decision_id": decision.id,
        "lender_id": decision.lender_id,
        "debt_id": decision.debt_id,
        "debtor_id": decision.debtor_id,
        "channel": str(decision.channel),
        "purpose": decision.purpose,
        "destination": decision.destination,
        "decided_at": decision.at,
        "verdict": str(decision.decision),
        "reasons": _json(decision.reasons),
        "warnings": _json(decision.warnings),
        "next_allowed_at": decision.next_allowed_at,
        "candidate_zones": _json(decision.candidate_zones),
        "profiles": _json(decision.profiles),
        "counters": _json(decision.counters),
        "inputs": _json(decision.inputs),
    }


async def store_refusal(session: AsyncSession, decision: Any) -> None:
    """PostgreSQL: keep a blocking decision (the evidence of a refused attempt)."""
    await _STORE_REFUSAL.fetch(session, _decision_params(decision), begin=True)


async def store_attempt(
    session: AsyncSession,
    *,
    decision: Any,
    contact: Any,
    timeline: Mapping[str, Any],
    deliveries: Sequence[dict[str, Any]],
) -> None:
    """PostgreSQL: the allowing decision, the contact it licenses (the columns from
    `live_outbound`), the debt's timeline entry, the outbox deliveries and the debtor's contact
    count (which tells a waiting attempt to read its facts again:
    `repository.lock_and_load_postgres`), in one statement. The decision and the contact carry
    their columns as attributes (`types.SimpleNamespace`), the timeline entry is the mapping of
    `events.entry`: no ORM state is built for rows written here."""
    _check_licence(decision, contact.debt_id, contact.channel)
    if contact.decision_id != decision.id or contact.source is not Source.LIVE:
        raise UnlicensedContact("the contact does not cite this decision")
    params = _decision_params(decision)
    params.update(
        contact_id=contact.id,
        direction=str(contact.direction),
        source=str(contact.source),
        outcome=str(contact.outcome),
        contact_point_id=contact.contact_point_id,
        to=contact.to,
        destination_type=contact.destination_type,
        agent_id=contact.agent_id,
        also_debt_ids=_json(contact.also_debt_ids),
        occurred_at=contact.occurred_at,
        notes=contact.notes,
        created_at=contact.created_at,
        event_id=timeline["id"],
        event_at=timeline["at"],
        event_type=timeline["type"],
        event_actor=timeline["actor"],
        event_data=_json(timeline["data"]),
        w_ids=[d["id"] for d in deliveries],
        w_endpoints=[d["endpoint_id"] for d in deliveries],
        w_events=[d["event_id"] for d in deliveries],
        w_types=[d["event_type"] for d in deliveries],
        w_payloads=[_json(d["payload"]) for d in deliveries],
        w_statuses=[str(d["status"]) for d in deliveries],
        w_due=[d["next_attempt_at"] for d in deliveries],
        w_created=[d["created_at"] for d in deliveries],
    )
    await _STORE_ATTEMPT.fetch(session, params, begin=True)
