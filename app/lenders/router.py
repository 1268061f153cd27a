"""/v1/lenders"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core.auth import Principal, authorize
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.lenders import service
from app.lenders.schemas import LenderCreate, LenderOut, LenderPatch

router = v1_router("lenders")


@router.post("/lenders", status_code=201, response_model=LenderOut, responses=errors(409, 413, 415))
async def create_lender(
    body: LenderCreate,
    response: Response,
    session: SessionDep,
    _: Annotated[Principal, Depends(authorize("lenders:write"))],
) -> LenderOut:
    """Create a lender (admin)."""
    lender = await service.create_lender(session, body)
    response.headers["Location"] = f"/v1/lenders/{lender.id}"
    return service.to_out(lender)


@router.get("/lenders", response_model=Page[LenderOut])
async def list_lenders(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("lenders:list"))],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[LenderOut]:
    """List lenders, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await service.list_lenders(session, principal, page)
    return Page[LenderOut](items=[service.to_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/lenders/{lender_id}", response_model=LenderOut, responses=errors(404))
async def get_lender(
    lender_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("lenders:read"))],
) -> LenderOut:
    """One lender (a lender key sees only its own)."""
    return service.to_out(await service.get_lender(session, principal, lender_id))


@router.patch("/lenders/{lender_id}", response_model=LenderOut, responses=errors(404, 415))
async def patch_lender(
    lender_id: uuid.UUID,
    body: LenderPatch,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("lenders:write"))],
) -> LenderOut:
    """Change a lender's name, profiles or settings (admin)."""
    return service.to_out(await service.patch_lender(session, principal, lender_id, body))
