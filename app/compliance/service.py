"""The rules service around the pure engine: evaluate, the dialer's call list, the evidence ledger."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import call_list, loader, one, repository
from app.compliance.call_list import CallableResult
from app.compliance.loader import Destination, Facts
from app.compliance.models import Channel, ComplianceDecision, Verdict
from app.compliance.schemas import (
    CallableFilter,
    DecisionOut,
    LenderCompliance,
    LenderComplianceOut,
)
from app.core.auth import Principal
from app.core.db import is_postgres
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.core.types import new_id
from app.debtors.models import ContactChannel
from app.debtors.schemas import normalise_value
from app.debts import service as debts_service
from app.lenders import service as lenders_service
from app.rules import Decision, parse_lender_rules, preset_as_dict

MAX_AHEAD = timedelta(minutes=1)


class ProfileNotFound(NotFound):
    title = "Compliance profile not found"


class DecisionNotFound(NotFound):
    title = "Decision not found"


def check_instant(at: datetime | None, now: datetime) -> datetime:
    """`at` may be any past instant and at most one minute ahead."""
    if at is None:
        return now
    if at > now + MAX_AHEAD:
        raise InvalidInput("#/at", "at may be at most one minute ahead of now.")
    return at


def resolve_destination(
    facts: Facts,
    channel: str,
    contact_point_id: uuid.UUID | None,
    to: str | None,
    destination_type: str | None,
) -> Destination | None:
    """A known contact point, a new destination, or (for neither) the debtor's best one for the channel."""
    wanted = ContactChannel(loader.POINT_CHANNEL[channel])
    if contact_point_id is not None:
        for point in facts.points:
            if point.id == contact_point_id:
                if point.channel is not wanted:
                    raise InvalidInput(
                        "#/contact_point_id", f"This contact point cannot carry {channel}."
                    )
                return Destination.of(point)
        raise InvalidInput("#/contact_point_id", "No such contact point of this debtor.")
    if to is None:
        return loader.best_destination(facts, channel)
    for point in facts.points:
        # A stored value is already normalised (and normalising is idempotent): the dialer
        # usually sends exactly that, and needs no second parse.
        if point.channel is wanted and point.value == to:
            return Destination.of(point)
    try:
        value = normalise_value(wanted, to, facts.debtor.country)
    except ValueError as exc:
        raise InvalidInput("#/to", str(exc)) from None
    for point in facts.points:
        if point.channel is wanted and point.value == value:
            return Destination.of(point)
    return Destination(None, value, destination_type or "other", None)


async def load_one(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, at: datetime
) -> Facts:
    """One debt's facts: one round trip on PostgreSQL, the set-based loader on SQLite."""
    if is_postgres(session):
        found = await one.load_one_postgres(
            session, debt_id, at=at, scope=principal.lender_scope, begin=True
        )
        if found is None:
            raise debts_service.DebtNotFound()
        return found
    facts = await loader.load_facts(session, [debt_id], at=at, scope=principal.lender_scope)
    if debt_id not in facts:
        raise debts_service.DebtNotFound()
    return facts[debt_id]


def decide(
    facts: Facts, *, at: datetime, channel: str, purpose: str, destination: Destination | None
) -> Decision:
    ctx = loader.build_context(
        facts, at=at, channel=channel, purpose=purpose, destination=destination
    )
    return call_list.run_engine(ctx)


async def evaluate_request(
    session: AsyncSession,
    principal: Principal,
    *,
    debt_id: uuid.UUID,
    channel: str,
    purpose: str,
    contact_point_id: uuid.UUID | None,
    to: str | None,
    destination_type: str | None,
    at: datetime,
) -> Decision:
    """Evaluate without side effects, against the history recorded up to `at`."""
    facts = await load_one(session, principal, debt_id, at)
    destination = resolve_destination(facts, channel, contact_point_id, to, destination_type)
    return decide(facts, at=at, channel=channel, purpose=purpose, destination=destination)


async def callable_debts(
    session: AsyncSession,
    principal: Principal,
    *,
    channel: str,
    at: datetime,
    debt_ids: list[uuid.UUID],
    purpose: str = "collection",
) -> CallableResult:
    """Which of these debts may be contacted on `channel` at `at`, through each debt's best destination."""
    return await call_list.callable_debts(
        session, debt_ids, scope=principal.lender_scope, channel=channel, at=at, purpose=purpose
    )


async def callable_selection(
    session: AsyncSession,
    principal: Principal,
    debt_ids: list[uuid.UUID] | None,
    selection: CallableFilter | None,
    now: datetime,
) -> list[uuid.UUID]:
    if debt_ids is not None:
        return debt_ids
    assert selection is not None
    filters = debts_service.DebtFilters(
        lender_id=selection.lender_id,
        status=selection.status,
        bucket=selection.bucket,
        product=selection.product,
        assigned_agent_id=selection.assigned_agent_id,
    )
    return await debts_service.matching_debt_ids(
        session, principal, filters, now=now, limit=100_000
    )


def decision_values(
    facts: Facts,
    decision: Decision,
    *,
    channel: str,
    purpose: str,
    destination: Destination | None,
    inputs: dict[str, Any],
) -> dict[str, Any]:
    """The columns of the evidence row of a decision from a contact attempt."""
    data = decision.to_dict()
    return {
        "id": new_id(),  # known before the flush: the contact that cites it goes in the same flush
        "lender_id": facts.debt.lender_id,
        "debt_id": facts.debt.id,
        "debtor_id": facts.debt.debtor_id,
        "channel": Channel(channel),
        "purpose": purpose,
        "destination": destination.value if destination else None,
        "at": decision.evaluated_at,
        "decision": Verdict(decision.decision),
        "reasons": data["reasons"],
        "warnings": data["warnings"],
        "next_allowed_at": decision.next_allowed_at,
        "candidate_zones": data["candidate_zones"],
        "profiles": data["profiles"],
        "counters": data["counters"],
        "inputs": inputs,
    }


def decision_out(row: ComplianceDecision, contact_id: uuid.UUID | None) -> DecisionOut:
    return DecisionOut.model_validate(
        {
            "id": row.id,
            "debt_id": row.debt_id,
            "debtor_id": row.debtor_id,
            "channel": row.channel,
            "purpose": row.purpose,
            "destination": row.destination,
            "at": row.at,
            "decision": row.decision,
            "reasons": row.reasons,
            "warnings": row.warnings,
            "next_allowed_at": row.next_allowed_at,
            "candidate_zones": row.candidate_zones,
            "profiles": row.profiles,
            "counters": row.counters,
            "contact_id": contact_id,
        }
    )


async def get_decision(
    session: AsyncSession, principal: Principal, decision_id: uuid.UUID
) -> DecisionOut:
    row = await repository.get_decision(session, decision_id, principal.lender_scope)
    if row is None:
        raise DecisionNotFound()
    contacts = await repository.contact_ids_for(session, [row.id])
    return decision_out(row, contacts.get(row.id))


async def list_decisions(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    debt_id: uuid.UUID | None,
    verdict: Verdict | None,
) -> tuple[list[DecisionOut], str | None]:
    stmt = repository.decisions_query(principal.lender_scope)
    if debt_id is not None:
        stmt = stmt.where(ComplianceDecision.debt_id == debt_id)
    if verdict is not None:
        stmt = stmt.where(ComplianceDecision.decision == verdict)
    rows, next_cursor = await page.fetch(
        session, stmt, ComplianceDecision.at, ComplianceDecision.id
    )
    contacts = await repository.contact_ids_for(session, [r.id for r in rows])
    return [decision_out(r, contacts.get(r.id)) for r in rows], next_cursor


def profile(code: str) -> dict[str, Any]:
    try:
        return preset_as_dict(code)
    except KeyError:
        raise ProfileNotFound() from None


async def set_lender_compliance(
    session: AsyncSession,
    principal: Principal,
    lender_id: uuid.UUID,
    body: LenderCompliance,
    *,
    now: datetime,
) -> LenderComplianceOut:
    lender = await lenders_service.get_lender(session, principal, lender_id)
    try:
        parse_lender_rules(body.rules)
    except ValidationError as exc:
        first = exc.errors()[0]
        pointer = "#/rules/" + "/".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(pointer.rstrip("/"), first.get("msg", "invalid rule")) from None
    lender.compliance_profiles = list(dict.fromkeys(body.profiles))
    lender.compliance_rules = body.rules
    lender.updated_at = now
    await session.flush()
    return LenderComplianceOut(
        lender_id=lender.id, profiles=lender.compliance_profiles, rules=body.rules
    )


async def get_lender_compliance(
    session: AsyncSession, principal: Principal, lender_id: uuid.UUID
) -> LenderComplianceOut:
    lender = await lenders_service.get_lender(session, principal, lender_id)
    return LenderComplianceOut(
        lender_id=lender.id,
        profiles=list(lender.compliance_profiles),
        rules=list(lender.compliance_rules or []),
    )
