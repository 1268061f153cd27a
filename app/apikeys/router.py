"""/v1/api-keys"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.apikeys import service
from app.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router

router = v1_router("api-keys")


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, responses=errors(413, 415))
async def create_api_key(
    body: ApiKeyCreate,
    response: Response,
    session: SessionDep,
    _: Annotated[Principal, Depends(authorize("keys:write"))],
) -> ApiKeyCreated:
    """Issue a key; `key` is the secret and is shown only in this response (admin)."""
    created = await service.create_key(session, body)
    response.headers["Location"] = f"/v1/api-keys/{created.id}"
    return created


@router.get("/api-keys", response_model=Page[ApiKeyOut])
async def list_api_keys(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("keys:read"))],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ApiKeyOut]:
    """Keys, newest first, without secrets (admin)."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_keys(session, page)
    return Page[ApiKeyOut](items=items, next_cursor=next_cursor)


@router.delete("/api-keys/{key_id}", status_code=204, responses=errors(404))
async def revoke_api_key(
    key_id: uuid.UUID,
    session: SessionDep,
    now: NowDep,
    _: Annotated[Principal, Depends(authorize("keys:write"))],
) -> Response:
    """Revoke a key; it answers 401 from then on (admin)."""
    await service.revoke_key(session, key_id, now)
    return Response(status_code=204)
