"""Holds and consents: what stops or narrows outreach, and what a debtor agreed to."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import repository
from app.compliance.models import Consent, ConsentType, Hold, HoldType
from app.compliance.schemas import ConsentCreate, HoldCreate
from app.core.auth import Principal
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.debtors import repository as debtors_repository
from app.debtors import service as debtors_service
from app.debtors.models import Debtor
from app.debts import events
from app.debts import repository as debts_repository
from app.debts.models import Debt, DebtStatus
from app.webhooks import outbox

# A debt under an unresolved dispute is `disputed`; these may enter that state and leave it.
_DISPUTABLE = {DebtStatus.ACTIVE, DebtStatus.PROMISED, DebtStatus.IN_PLAN, DebtStatus.ESCALATED}
# Other domains (outbound events) react to a new hold in the same transaction.
HOLD_LISTENERS: list[Callable[[AsyncSession, Hold, datetime], Awaitable[None]]] = []


class HoldNotFound(NotFound):
    title = "Hold not found"


class HoldAlreadyReleased(Conflict):
    slug, title = "hold-released", "This hold was already released"


async def _debt_of(
    session: AsyncSession, debtor: Debtor, debt_id: uuid.UUID | None, pointer: str
) -> Debt | None:
    if debt_id is None:
        return None
    debt = await debts_repository.get(
        session, debt_id, frozenset({debtor.lender_id}), for_update=True
    )
    if debt is None or debt.debtor_id != debtor.id:
        raise InvalidInput(pointer, "No such debt of this debtor.")
    return debt


async def create_hold(
    session: AsyncSession,
    principal: Principal | None,
    debtor: Debtor,
    body: HoldCreate,
    *,
    now: datetime,
    source: str = "manual",
) -> Hold:
    """Record a hold; a dispute also moves its debt to `disputed`."""
    debt = await _debt_of(session, debtor, body.debt_id, "#/debt_id")
    if body.contact_point_id is not None:
        point = await debtors_repository.get_contact_point(
            session, debtor.id, body.contact_point_id
        )
        if point is None:
            raise InvalidInput("#/contact_point_id", "No such contact point of this debtor.")
    starts_at = body.starts_at or now
    if body.ends_at is not None and body.ends_at <= starts_at:
        raise InvalidInput("#/ends_at", "ends_at must be after starts_at.")
    hold = Hold(
        lender_id=debtor.lender_id,
        debtor_id=debtor.id,
        debt_id=body.debt_id,
        type=body.type,
        channel=body.channel,
        contact_point_id=body.contact_point_id,
        starts_at=starts_at,
        ends_at=body.ends_at,
        note=body.note,
        source=source,
        created_at=now,
        updated_at=now,
    )
    session.add(hold)
    await session.flush()
    actor = events.actor_of(principal)
    targets = (
        [debt] if debt is not None else await debts_repository.debts_of_debtor(session, debtor.id)
    )
    for target in targets:
        events.record(
            session,
            target,
            "hold.created",
            at=now,
            actor=actor,
            data={"hold_id": str(hold.id), "type": hold.type.value},
        )
    published = [(outbox.EventType.HOLD_CREATED.value, outbox.hold_created(hold))]
    if debt is not None and body.type is HoldType.DISPUTE and debt.status in _DISPUTABLE:
        published.append(
            events.move_status(
                session, debt, DebtStatus.DISPUTED, cause="dispute", actor=events.SYSTEM, at=now
            )
        )
    await outbox.emit_many(session, lender_id=hold.lender_id, events=published, at=now)
    for listener in HOLD_LISTENERS:
        await listener(session, hold, now)
    return hold


async def release_hold(
    session: AsyncSession,
    principal: Principal,
    debtor_id: uuid.UUID,
    hold_id: uuid.UUID,
    *,
    now: datetime,
) -> Hold:
    debtor = await debtors_service.load_debtor(session, principal, debtor_id)
    hold = await repository.get_hold(session, debtor.id, hold_id, for_update=True)
    if hold is None:
        raise HoldNotFound()
    if hold.released_at is not None:
        raise HoldAlreadyReleased()
    hold.released_at = now
    hold.updated_at = now
    await session.flush()
    if hold.type is HoldType.DISPUTE and hold.debt_id is not None:
        debt = await debts_repository.get(session, hold.debt_id, None, for_update=True)
        still = await repository.active_dispute_holds(session, hold.debt_id)
        if debt is not None and debt.status is DebtStatus.DISPUTED and not still:
            moved = events.move_status(
                session,
                debt,
                DebtStatus.ACTIVE,
                cause="dispute_resolved",
                actor=events.SYSTEM,
                at=now,
            )
            await outbox.emit_many(session, lender_id=debt.lender_id, events=[moved], at=now)
    return hold


async def list_holds(
    session: AsyncSession, principal: Principal, debtor_id: uuid.UUID, page: PageRequest
) -> tuple[list[Hold], str | None]:
    debtor = await debtors_service.load_debtor(session, principal, debtor_id)
    return await page.fetch(session, repository.holds_query(debtor.id), Hold.created_at, Hold.id)


async def create_consent(
    session: AsyncSession,
    debtor: Debtor,
    body: ConsentCreate,
    *,
    now: datetime,
    source: str = "manual",
) -> Consent:
    await _debt_of(session, debtor, body.debt_id, "#/debt_id")
    if body.expires_at is not None and body.expires_at <= body.given_at:
        raise InvalidInput("#/expires_at", "expires_at must be after given_at.")
    if body.type is ConsentType.DIRECT_PRIOR_CONSENT and body.given_at > now:
        raise InvalidInput("#/given_at", "A consent cannot be given in the future.")
    consent = Consent(
        lender_id=debtor.lender_id,
        debtor_id=debtor.id,
        debt_id=body.debt_id,
        type=body.type,
        channel=body.channel,
        given_at=body.given_at,
        expires_at=body.expires_at,
        source=source,
        created_at=now,
        updated_at=now,
    )
    session.add(consent)
    await session.flush()
    return consent


async def list_consents(
    session: AsyncSession, principal: Principal, debtor_id: uuid.UUID, page: PageRequest
) -> tuple[list[Consent], str | None]:
    debtor = await debtors_service.load_debtor(session, principal, debtor_id)
    return await page.fetch(
        session, repository.consents_query(debtor.id), Consent.created_at, Consent.id
    )
