"""/v1/debtors/{id}/holds and /v1/debtors/{id}/consents"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.compliance import holds
from app.compliance.schemas import ConsentCreate, ConsentOut, HoldCreate, HoldOut
from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.debtors import service as debtors_service

router = v1_router("holds and consents")
Reader = Annotated[Principal, Depends(authorize("holds:read"))]
Writer = Annotated[Principal, Depends(authorize("holds:write"))]


@router.post(
    "/debtors/{debtor_id}/holds",
    status_code=201,
    response_model=HoldOut,
    responses=errors(404, 415),
)
async def create_hold(
    debtor_id: uuid.UUID,
    body: HoldCreate,
    response: Response,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> HoldOut:
    """Stop or narrow outreach: cease, attorney, bankruptcy, dispute, opt-out, breathing space, …"""
    debtor = await debtors_service.load_debtor(session, principal, debtor_id)
    hold = await holds.create_hold(session, principal, debtor, body, now=now)
    response.headers["Location"] = f"/v1/debtors/{debtor_id}/holds/{hold.id}"
    return HoldOut.model_validate(hold)


@router.get("/debtors/{debtor_id}/holds", response_model=Page[HoldOut], responses=errors(404))
async def list_holds(
    debtor_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[HoldOut]:
    """The debtor's holds, newest first; released holds stay listed with `released_at`."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await holds.list_holds(session, principal, debtor_id, page)
    return Page[HoldOut](items=[HoldOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/debtors/{debtor_id}/holds/{hold_id}/release",
    response_model=HoldOut,
    responses=errors(404, 409),
)
async def release_hold(
    debtor_id: uuid.UUID, hold_id: uuid.UUID, session: SessionDep, principal: Writer, now: NowDep
) -> HoldOut:
    """Release a hold now (409 if already released)."""
    return HoldOut.model_validate(
        await holds.release_hold(session, principal, debtor_id, hold_id, now=now)
    )


@router.post(
    "/debtors/{debtor_id}/consents",
    status_code=201,
    response_model=ConsentOut,
    responses=errors(404, 415),
)
async def create_consent(
    debtor_id: uuid.UUID,
    body: ConsentCreate,
    response: Response,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> ConsentOut:
    """Record a consent: `direct_prior_consent` (7 days, ends at the next conversation) or `outside_hours`."""
    debtor = await debtors_service.load_debtor(session, principal, debtor_id)
    consent = await holds.create_consent(session, debtor, body, now=now)
    response.headers["Location"] = f"/v1/debtors/{debtor_id}/consents/{consent.id}"
    return ConsentOut.model_validate(consent)


@router.get("/debtors/{debtor_id}/consents", response_model=Page[ConsentOut], responses=errors(404))
async def list_consents(
    debtor_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ConsentOut]:
    """The debtor's consents, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await holds.list_consents(session, principal, debtor_id, page)
    return Page[ConsentOut](
        items=[ConsentOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
