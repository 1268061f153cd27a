"""/v1/debts/{id}/payments"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.payments import service
from app.payments.schemas import PaymentCreate, PaymentOut

router = v1_router("payments")


@router.post(
    "/debts/{debt_id}/payments",
    status_code=201,
    response_model=PaymentOut,
    responses={
        200: {"description": "Replay of a known external_ref", "model": PaymentOut},
        **errors(404, 409, 413, 415),
    },
)
async def post_payment(
    debt_id: uuid.UUID,
    body: PaymentCreate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("payments:write"))],
    now: NowDep,
) -> PaymentOut:
    """Record a payment: 201, or 200 with the original for a known `external_ref` (409 if its amount differs)."""
    payment, created = await service.post_payment(session, principal, debt_id, body, now=now)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/debts/{debt_id}/payments/{payment.id}"
    return PaymentOut.model_validate(payment)


@router.get("/debts/{debt_id}/payments", response_model=Page[PaymentOut], responses=errors(404))
async def list_payments(
    debt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("payments:read"))],
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PaymentOut]:
    """Payments of a debt, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await service.list_payments(session, principal, debt_id, page)
    return Page[PaymentOut](
        items=[PaymentOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
