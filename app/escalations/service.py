"""Escalation commands and queries: request, approve, reject, complete, list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.pagination import PageRequest
from app.core.types import new_id
from app.debts import events
from app.debts import service as debts_service
from app.debts.models import Debt
from app.debts.status import COLLECTABLE, check_transition
from app.escalations import repository
from app.escalations.ladder import DEBT_STATUS, NEEDS_APPROVAL, Level, may_step, next_levels
from app.escalations.models import Escalation, EscalationReason, EscalationStatus
from app.escalations.repository import ListFilters
from app.escalations.schemas import EscalationCreate, EscalationOut, rule_out
from app.webhooks import outbox

S = EscalationStatus


class EscalationNotFound(NotFound):
    title = "Escalation not found"


class IllegalEscalation(Conflict):
    slug, title = "illegal-escalation", "This escalation is not allowed from the debt's level"


class EscalationPending(Conflict):
    slug, title = "escalation-pending", "The debt already has an escalation awaiting approval"


class EscalationNotPending(Conflict):
    slug, title = "escalation-not-pending", "The escalation is not in a state that allows this"


def to_out(escalation: Escalation) -> EscalationOut:
    return EscalationOut(
        id=escalation.id,
        lender_id=escalation.lender_id,
        debt_id=escalation.debt_id,
        from_level=Level(escalation.from_level),
        to_level=Level(escalation.to_level),
        status=escalation.status,
        reason=escalation.reason,
        note=escalation.note,
        rule=rule_out(escalation.rule),
        needs_approval=Level(escalation.to_level) in NEEDS_APPROVAL,
        requested_by=escalation.requested_by,
        requested_by_agent_id=escalation.requested_by_agent_id,
        decided_by=escalation.decided_by,
        decided_at=escalation.decided_at,
        decision_note=escalation.decision_note,
        completed_at=escalation.completed_at,
        created_at=escalation.created_at,
        updated_at=escalation.updated_at,
    )


async def escalate(
    session: AsyncSession,
    debt: Debt,
    to_level: Level,
    reason: EscalationReason,
    *,
    now: datetime,
    actor: str,
    agent_id: uuid.UUID | None = None,
    note: str | None = None,
    rule: dict[str, Any] | None = None,
) -> Escalation:
    """Open an escalation on a row-locked debt; one that needs no approval moves the debt at once."""
    if debt.status not in COLLECTABLE:
        raise IllegalEscalation(f"A {debt.status.value} debt cannot be escalated.")
    if not may_step(debt.escalation_level, to_level):
        allowed = ", ".join(level.value for level in next_levels(debt.escalation_level)) or "none"
        raise IllegalEscalation(
            f"{to_level.value} cannot be requested from {debt.escalation_level} "
            f"(allowed: {allowed})."
        )
    if await repository.pending_for(session, debt) is not None:
        raise EscalationPending("Approve or reject the pending escalation first.")
    needs_approval = to_level in NEEDS_APPROVAL
    if not needs_approval and DEBT_STATUS[to_level] is not debt.status:
        check_transition(debt.status, DEBT_STATUS[to_level])
    escalation = repository.add(
        session,
        Escalation(
            id=new_id(),
            lender_id=debt.lender_id,
            debt_id=debt.id,
            from_level=debt.escalation_level,
            to_level=to_level.value,
            status=S.PENDING_APPROVAL if needs_approval else S.APPROVED,
            reason=reason,
            note=note,
            rule_name=None if rule is None else rule["name"],
            rule=rule,
            requested_by=actor,
            requested_by_agent_id=agent_id,
            created_at=now,
            updated_at=now,
        ),
    )
    await session.flush()
    data: dict[str, Any] = {
        "escalation_id": str(escalation.id),
        "from_level": escalation.from_level,
        "to_level": escalation.to_level,
        "reason": reason.value,
        "status": escalation.status.value,
    }
    if rule is not None:
        data["rule"] = rule
    events.record(session, debt, "escalation.requested", at=now, actor=actor, data=data)
    created = {"debt_id": str(debt.id), "debt_external_ref": debt.external_ref, **data}
    published = [(outbox.EventType.ESCALATION_CREATED.value, created)]
    if not needs_approval:
        published += _move_published(session, debt, escalation, now=now, actor=actor)
    await outbox.emit_many(session, lender_id=debt.lender_id, events=published, at=now)
    return escalation


def _move_published(
    session: AsyncSession, debt: Debt, escalation: Escalation, *, now: datetime, actor: str
) -> list[tuple[str, dict[str, Any]]]:
    """Put the debt at the escalation's level, with the status that level implies; returns the
    outbound status event when the status changed."""
    target = Level(escalation.to_level)
    status = DEBT_STATUS[target]
    if status is not debt.status:
        check_transition(debt.status, status)
    data: dict[str, Any] = {
        "before": debt.escalation_level,
        "after": target.value,
        "escalation_id": str(escalation.id),
    }
    if escalation.rule is not None:
        data["rule"] = escalation.rule["name"]
    events.record(session, debt, "debt.escalated", at=now, actor=actor, data=data)
    debt.escalation_level = target.value
    debt.updated_at = now
    if status is debt.status:
        return []
    return [events.move_status(session, debt, status, cause="escalation", actor=actor, at=now)]


async def request_escalation(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    command: EscalationCreate,
    *,
    now: datetime,
) -> EscalationOut:
    debt = await debts_service.load_debt(session, principal, debt_id, for_update=True)
    escalation = await escalate(
        session,
        debt,
        command.to_level,
        command.reason,
        now=now,
        actor=events.actor_of(principal),
        agent_id=principal.agent_id,
        note=command.note,
    )
    await session.flush()
    return to_out(escalation)


async def _load_for_decision(
    session: AsyncSession, principal: Principal, escalation_id: uuid.UUID
) -> tuple[Debt, Escalation]:
    """The escalation and its debt, both row-locked (debt first, as every writer locks)."""
    found = await repository.get(session, escalation_id, principal.lender_scope)
    if found is None:
        raise EscalationNotFound()
    debt = await debts_service.load_debt(session, principal, found.debt_id, for_update=True)
    escalation = await repository.get(
        session, escalation_id, principal.lender_scope, for_update=True
    )
    assert escalation is not None
    return debt, escalation


def _require_supervisor(principal: Principal) -> None:
    if not principal.is_supervisor:
        raise Forbidden("Only a supervisor may approve or reject an escalation.")


async def approve_escalation(
    session: AsyncSession,
    principal: Principal,
    escalation_id: uuid.UUID,
    note: str | None,
    *,
    now: datetime,
) -> EscalationOut:
    _require_supervisor(principal)
    debt, escalation = await _load_for_decision(session, principal, escalation_id)
    if escalation.status is not S.PENDING_APPROVAL:
        raise EscalationNotPending(f"The escalation is {escalation.status.value}.")
    if debt.status not in COLLECTABLE or debt.escalation_level != escalation.from_level:
        raise IllegalEscalation("The debt has moved since the escalation was requested.")
    actor = events.actor_of(principal)
    _decide(escalation, S.APPROVED, actor, note, now)
    events.record(session, debt, "escalation.approved", at=now, actor=actor, data=_ref(escalation))
    moved = _move_published(session, debt, escalation, now=now, actor=actor)
    await outbox.emit_many(session, lender_id=debt.lender_id, events=moved, at=now)
    await session.flush()
    return to_out(escalation)


async def reject_escalation(
    session: AsyncSession,
    principal: Principal,
    escalation_id: uuid.UUID,
    note: str | None,
    *,
    now: datetime,
) -> EscalationOut:
    _require_supervisor(principal)
    debt, escalation = await _load_for_decision(session, principal, escalation_id)
    if escalation.status is not S.PENDING_APPROVAL:
        raise EscalationNotPending(f"The escalation is {escalation.status.value}.")
    actor = events.actor_of(principal)
    _decide(escalation, S.REJECTED, actor, note, now)
    events.record(session, debt, "escalation.rejected", at=now, actor=actor, data=_ref(escalation))
    await session.flush()
    return to_out(escalation)


async def complete_escalation(
    session: AsyncSession,
    principal: Principal,
    escalation_id: uuid.UUID,
    note: str | None,
    *,
    now: datetime,
) -> EscalationOut:
    """Record that the approved step was carried out (letter sent, case filed, agency placed)."""
    debt, escalation = await _load_for_decision(session, principal, escalation_id)
    if escalation.status is not S.APPROVED:
        raise EscalationNotPending(
            f"Only an approved escalation completes; it is {escalation.status.value}."
        )
    actor = events.actor_of(principal)
    escalation.status = S.COMPLETED
    escalation.completed_at = now
    escalation.updated_at = now
    if note is not None:
        escalation.decision_note = note
    events.record(session, debt, "escalation.completed", at=now, actor=actor, data=_ref(escalation))
    await session.flush()
    return to_out(escalation)


def _decide(
    escalation: Escalation, status: EscalationStatus, actor: str, note: str | None, now: datetime
) -> None:
    escalation.status = status
    escalation.decided_by = actor
    escalation.decided_at = now
    escalation.decision_note = note
    escalation.updated_at = now


def _ref(escalation: Escalation) -> dict[str, Any]:
    return {
        "escalation_id": str(escalation.id),
        "from_level": escalation.from_level,
        "to_level": escalation.to_level,
    }


async def get_escalation(
    session: AsyncSession, principal: Principal, escalation_id: uuid.UUID
) -> EscalationOut:
    found = await repository.get(session, escalation_id, principal.lender_scope)
    if found is None:
        raise EscalationNotFound()
    return to_out(found)


async def list_escalations(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilters,
    page: PageRequest,
) -> tuple[list[EscalationOut], str | None]:
    if filters.debt_id is not None:
        await debts_service.load_debt(session, principal, filters.debt_id)
    stmt = repository.list_query(principal.lender_scope, filters)
    rows, next_cursor = await page.fetch(session, stmt, Escalation.created_at, Escalation.id)
    return [to_out(row) for row in rows], next_cursor
