"""What a contact's outcome sets in motion, in the same transaction as the outcome itself.

`busy`, `network_error` and `not_in_service` release the frequency slot and a `conversation` starts
the Reg F cool-down without anything stored here: the rules count the contact history by outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import holds
from app.compliance.models import Channel, ConsentType, HoldType
from app.compliance.schemas import ConsentCreate, HoldCreate
from app.contacts.models import Contact, Outcome
from app.core.auth import Principal
from app.debtors import service as debtors_service
from app.debtors.models import ContactPointStatus
from app.debts import events
from app.debts.models import Debt, DebtEvent


def timeline_entry(
    principal: Principal, debt: Any, contact: Any, *, now: datetime
) -> dict[str, Any]:
    """The columns of the debt's timeline entry for a recorded contact or a reported outcome."""
    outcome = contact.outcome
    return events.entry(
        debt,
        "contact.recorded" if outcome is Outcome.RESERVED else "contact.outcome",
        at=now,
        actor=events.actor_of(principal),
        data={
            "contact_id": str(contact.id),
            "channel": contact.channel.value,
            "direction": contact.direction.value,
            "outcome": outcome.value,
        },
    )


async def apply(
    session: AsyncSession,
    principal: Principal,
    debt: Debt,
    contact: Contact,
    body: Any,
    *,
    now: datetime,
) -> None:
    """The timeline entry, then the outcome's consequences."""
    session.add(DebtEvent(**timeline_entry(principal, debt, contact, now=now)))
    await consequences(session, principal, debt, contact, body, now=now)


async def consequences(
    session: AsyncSession,
    principal: Principal,
    debt: Debt,
    contact: Contact,
    body: Any,
    *,
    now: datetime,
) -> None:
    """What the outcome sets in motion (nothing while the attempt is `reserved`)."""
    outcome = contact.outcome
    if outcome is Outcome.RESERVED:
        return
    actor = events.actor_of(principal)
    debtor = await debtors_service.load_debtor_unscoped(session, contact.debtor_id)
    if outcome is Outcome.CEASE_REQUESTED:
        await holds.create_hold(
            session,
            principal,
            debtor,
            HoldCreate(
                type=HoldType.CEASE_COMMUNICATION,
                debt_id=debt.id,
                note="requested during a contact",
            ),
            now=now,
            source="contact",
        )
    elif outcome is Outcome.DISPUTE_RAISED:
        await holds.create_hold(
            session,
            principal,
            debtor,
            HoldCreate(type=HoldType.DISPUTE, debt_id=debt.id, note="raised during a contact"),
            now=now,
            source="contact",
        )
    elif outcome is Outcome.WRONG_NUMBER and contact.contact_point_id is not None:
        await debtors_service.set_contact_point_status(
            session, contact.contact_point_id, ContactPointStatus.INVALID, now=now
        )
    elif outcome is Outcome.CALLBACK_REQUESTED:
        consent = await holds.create_consent(
            session,
            debtor,
            ConsentCreate(
                type=ConsentType.DIRECT_PRIOR_CONSENT,
                channel=Channel(contact.channel.value),
                debt_id=debt.id,
                given_at=min(now, contact.occurred_at if contact.occurred_at > now else now),
            ),
            now=now,
            source="contact",
        )
        callback_at = getattr(body, "callback_at", None)
        events.record(
            session,
            debt,
            "contact.callback_requested",
            at=now,
            actor=actor,
            data={
                "contact_id": str(contact.id),
                "consent_id": str(consent.id),
                "callback_at": callback_at.isoformat() if callback_at else None,
            },
        )
    elif outcome is Outcome.PROMISE_TO_PAY and getattr(body, "promise", None) is not None:
        from app.plans import service as plans_service

        await plans_service.create_promise(
            session,
            debt,
            amount_minor=body.promise.amount_minor,
            due_date=body.promise.due_date,
            now=now,
            actor=actor,
        )
