"""Debtor commands and queries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.crypto import DataCipher
from app.core.errors import InvalidInput, NotFound
from app.debtors import repository
from app.debtors.models import ContactChannel, ContactPoint, ContactPointStatus, Debtor
from app.debtors.schemas import (
    AddressOut,
    ContactPointIn,
    ContactPointOut,
    ContactPointPatch,
    DebtorOut,
    DebtorPatch,
)


class DebtorNotFound(NotFound):
    title = "Debtor not found"


class ContactPointNotFound(NotFound):
    title = "Contact point not found"


def to_out(debtor: Debtor, points: list[ContactPoint]) -> DebtorOut:
    address = None
    if any((debtor.country, debtor.subdivision, debtor.city, debtor.postal_code, debtor.line1)):
        address = AddressOut(
            country=debtor.country,
            subdivision=debtor.subdivision,
            city=debtor.city,
            postal_code=debtor.postal_code,
            line1=debtor.line1,
        )
    return DebtorOut(
        id=debtor.id,
        lender_id=debtor.lender_id,
        external_ref=debtor.external_ref,
        kind=debtor.kind,
        name=debtor.name,
        national_id_last4=debtor.national_id_last4,
        address=address,
        timezone=debtor.timezone,
        locale=debtor.locale,
        contact_points=[ContactPointOut.model_validate(p) for p in points],
        inconvenient_times=list(debtor.inconvenient_times or []),
        created_at=debtor.created_at,
        updated_at=debtor.updated_at,
    )


async def load_debtor(session: AsyncSession, principal: Principal, debtor_id: uuid.UUID) -> Debtor:
    debtor = await repository.get(session, debtor_id, principal.lender_scope)
    if debtor is None:
        raise DebtorNotFound()
    return debtor


async def get_debtor(
    session: AsyncSession, principal: Principal, debtor_id: uuid.UUID
) -> DebtorOut:
    debtor = await load_debtor(session, principal, debtor_id)
    return to_out(debtor, await repository.contact_points_of(session, debtor.id))


async def patch_debtor(
    session: AsyncSession,
    principal: Principal,
    debtor_id: uuid.UUID,
    patch: DebtorPatch,
    *,
    now: datetime,
    cipher: DataCipher,
) -> DebtorOut:
    debtor = await load_debtor(session, principal, debtor_id)
    fields = patch.model_fields_set
    for name in ("kind", "name", "timezone", "locale"):
        if name in fields:
            value = getattr(patch, name)
            if value is None and name in ("kind", "name"):
                raise InvalidInput(f"#/{name}", "This field cannot be null.")
            setattr(debtor, name, value)
    if "national_id" in fields:
        national_id = patch.national_id
        debtor.national_id_encrypted = cipher.encrypt(national_id) if national_id else None
        debtor.national_id_last4 = national_id[-4:] if national_id else None
    if "address" in fields:
        address = patch.address
        for name in ("country", "subdivision", "city", "postal_code", "line1"):
            setattr(debtor, name, getattr(address, name) if address else None)
    if "inconvenient_times" in fields:
        times = patch.inconvenient_times
        debtor.inconvenient_times = [t.as_json() for t in times] if times else None
    debtor.updated_at = now
    await session.flush()
    return to_out(debtor, await repository.contact_points_of(session, debtor.id))


async def add_contact_point(
    session: AsyncSession,
    principal: Principal,
    debtor_id: uuid.UUID,
    body: ContactPointIn,
    *,
    now: datetime,
) -> tuple[ContactPointOut, bool]:
    """Add a contact point; a value the debtor already has returns that one (created=False)."""
    debtor = await load_debtor(session, principal, debtor_id)
    try:
        body.normalise(debtor.country)
    except ValueError as exc:
        raise InvalidInput("#/value", str(exc)) from None
    value = body.value
    existing = await repository.find_contact_point(session, debtor.id, body.channel, value)
    if existing is not None:
        return ContactPointOut.model_validate(existing), False
    point = ContactPoint(
        lender_id=debtor.lender_id,
        debtor_id=debtor.id,
        channel=ContactChannel(body.channel),
        value=value,
        type=body.type,
        time_zones=body.time_zones,
        created_at=now,
        updated_at=now,
    )
    session.add(point)
    await session.flush()
    return ContactPointOut.model_validate(point), True


async def patch_contact_point(
    session: AsyncSession,
    principal: Principal,
    debtor_id: uuid.UUID,
    point_id: uuid.UUID,
    patch: ContactPointPatch,
    *,
    now: datetime,
) -> ContactPointOut:
    debtor = await load_debtor(session, principal, debtor_id)
    point = await repository.get_contact_point(session, debtor.id, point_id)
    if point is None:
        raise ContactPointNotFound()
    if patch.type is not None:
        point.type = patch.type
    if patch.status is not None:
        point.status = patch.status
    point.updated_at = now
    await session.flush()
    return ContactPointOut.model_validate(point)


async def load_debtor_unscoped(session: AsyncSession, debtor_id: uuid.UUID) -> Debtor:
    """For callers that already authorised access through a debt or contact."""
    debtor = await repository.get(session, debtor_id, None)
    if debtor is None:
        raise DebtorNotFound()
    return debtor


async def set_contact_point_status(
    session: AsyncSession, point_id: uuid.UUID, status: ContactPointStatus, *, now: datetime
) -> None:
    point = await repository.get_contact_point_by_id(session, point_id)
    if point is not None and point.status is not status:
        point.status = status
        point.updated_at = now
        await session.flush()
