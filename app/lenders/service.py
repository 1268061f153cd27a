"""Lender commands and queries."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageRequest
from app.lenders import repository
from app.lenders.models import Lender
from app.lenders.schemas import LenderCreate, LenderOut, LenderPatch, LenderSettingsOut


class LenderNotFound(NotFound):
    title = "Lender not found"


class LenderCodeTaken(Conflict):
    slug, title = "lender-code-taken", "A lender with this code already exists"


def to_out(lender: Lender) -> LenderOut:
    return LenderOut(
        id=lender.id,
        code=lender.code,
        name=lender.name,
        compliance_profiles=list(lender.compliance_profiles),
        settings=LenderSettingsOut(
            timezone=lender.timezone,
            max_discount_pct=lender.max_discount_pct,
            escalation_rules=list(lender.escalation_rules),
            assignment=lender.assignment,
        ),
        created_at=lender.created_at,
        updated_at=lender.updated_at,
    )


async def create_lender(session: AsyncSession, command: LenderCreate) -> Lender:
    if await repository.get_by_code(session, command.code) is not None:
        raise LenderCodeTaken(f"Lender code {command.code!r} is taken.")
    lender = repository.add(
        session,
        Lender(
            code=command.code,
            name=command.name,
            compliance_profiles=list(dict.fromkeys(command.compliance_profiles)),
            timezone=command.settings.timezone,
            max_discount_pct=command.settings.max_discount_pct,
            escalation_rules=_stored(command.settings.escalation_rules),
            assignment=_stored(command.settings.assignment),
        ),
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise LenderCodeTaken(f"Lender code {command.code!r} is taken.") from None
    return lender


async def list_lenders(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[Lender], str | None]:
    query = repository.list_query(principal.lender_scope)
    return await page.fetch(session, query, Lender.created_at, Lender.id)


async def get_lender(session: AsyncSession, principal: Principal, lender_id: uuid.UUID) -> Lender:
    """The lender, if the caller may see it (404 otherwise, never 403)."""
    lender = await repository.get(session, lender_id) if principal.sees_lender(lender_id) else None
    if lender is None:
        raise LenderNotFound()
    return lender


async def patch_lender(
    session: AsyncSession, principal: Principal, lender_id: uuid.UUID, patch: LenderPatch
) -> Lender:
    lender = await get_lender(session, principal, lender_id)
    if patch.name is not None:
        lender.name = patch.name
    if patch.compliance_profiles is not None:
        lender.compliance_profiles = list(dict.fromkeys(patch.compliance_profiles))
    if patch.settings is not None:
        for field in patch.settings.model_fields_set:
            value = getattr(patch.settings, field)
            if value is None and field != "assignment":
                continue
            setattr(lender, field, _stored(value))
    await session.flush()
    return lender


def _stored(value: Any) -> Any:
    """Validated settings models as the JSON they are kept as."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_stored(item) for item in value]
    return value
