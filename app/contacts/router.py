"""/v1/debts/{id}/contacts and /v1/contacts"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from app.contacts import service
from app.contacts.schemas import (
    ContactCreate,
    ContactOut,
    ImportRequest,
    ImportResult,
    OutcomeReport,
)
from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router

router = v1_router("contacts")
Reader = Annotated[Principal, Depends(authorize("contacts:read"))]

BLOCKED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Blocked by the compliance rules (`compliance-blocked`, with `decision_id`, "
        "`reasons [{code, message, clears_at}]`, `next_allowed_at`), or another conflict",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


@router.post(
    "/debts/{debt_id}/contacts",
    status_code=201,
    response_model=ContactOut,
    responses={**errors(404, 413, 415), **BLOCKED},
)
async def record_contact(
    debt_id: uuid.UUID,
    body: ContactCreate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("contacts:write"))],
    now: NowDep,
) -> ContactOut:
    """Record outreach. Outbound attempts are evaluated by the rules service at the server's now: allowed → 201 (the slot is `reserved` until the outcome is reported); blocked → 409 with reasons, and the decision is kept."""
    contact = await service.record_contact(session, principal, debt_id, body, now=now)
    response.headers["Location"] = f"/v1/contacts/{contact.id}"
    return contact


@router.get("/debts/{debt_id}/contacts", response_model=Page[ContactOut], responses=errors(404))
async def list_contacts(
    debt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ContactOut]:
    """A debt's contacts, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_contacts(session, principal, debt_id, page)
    return Page[ContactOut](items=items, next_cursor=next_cursor)


@router.get("/contacts/{contact_id}", response_model=ContactOut, responses=errors(404))
async def get_contact(contact_id: uuid.UUID, session: SessionDep, principal: Reader) -> ContactOut:
    """One contact with the decision that licensed it."""
    return await service.get_contact(session, principal, contact_id)


@router.patch(
    "/contacts/{contact_id}", response_model=ContactOut, responses={**errors(404, 415), **BLOCKED}
)
async def report_outcome(
    contact_id: uuid.UUID,
    body: OutcomeReport,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("contacts:write"))],
    now: NowDep,
) -> ContactOut:
    """Report the outcome of an attempt, with its effects (holds, promise plan, invalid number, callback consent)."""
    return await service.report_outcome(session, principal, contact_id, body, now=now)


@router.post(
    "/debts/{debt_id}/contacts/import",
    status_code=201,
    response_model=ImportResult,
    responses=errors(404, 413, 415),
)
async def import_contacts(
    debt_id: uuid.UUID,
    body: ImportRequest,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("contacts:import"))],
    now: NowDep,
) -> ImportResult:
    """History from the lender's previous system (≤ 1,000): not evaluated, counted by every rule from then on."""
    return ImportResult(
        imported=await service.import_history(session, principal, debt_id, body, now=now)
    )
