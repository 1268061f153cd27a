"""/v1/debtors"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.routing import errors, v1_router
from app.debtors import service
from app.debtors.schemas import (
    ContactPointIn,
    ContactPointOut,
    ContactPointPatch,
    DebtorOut,
    DebtorPatch,
)

router = v1_router("debtors")
Reader = Annotated[Principal, Depends(authorize("debtors:read"))]
Writer = Annotated[Principal, Depends(authorize("debtors:write"))]


@router.get("/debtors/{debtor_id}", response_model=DebtorOut, responses=errors(404))
async def get_debtor(debtor_id: uuid.UUID, session: SessionDep, principal: Reader) -> DebtorOut:
    """One debtor with its contact points (`national_id` is never returned, only its last 4)."""
    return await service.get_debtor(session, principal, debtor_id)


@router.patch("/debtors/{debtor_id}", response_model=DebtorOut, responses=errors(404, 415))
async def patch_debtor(
    debtor_id: uuid.UUID,
    body: DebtorPatch,
    request: Request,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> DebtorOut:
    """Change a debtor's details, time zone or inconvenient times."""
    cipher = request.app.state.cipher
    return await service.patch_debtor(session, principal, debtor_id, body, now=now, cipher=cipher)


@router.post(
    "/debtors/{debtor_id}/contact-points",
    status_code=201,
    response_model=ContactPointOut,
    responses={
        200: {"description": "The debtor already had this value", "model": ContactPointOut},
        **errors(404, 415),
    },
)
async def add_contact_point(
    debtor_id: uuid.UUID,
    body: ContactPointIn,
    response: Response,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> ContactPointOut:
    """Add a phone, email or postal contact point (phones normalised to E.164)."""
    point, created = await service.add_contact_point(session, principal, debtor_id, body, now=now)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/debtors/{debtor_id}/contact-points/{point.id}"
    return point


@router.patch(
    "/debtors/{debtor_id}/contact-points/{point_id}",
    response_model=ContactPointOut,
    responses=errors(404, 415),
)
async def patch_contact_point(
    debtor_id: uuid.UUID,
    point_id: uuid.UUID,
    body: ContactPointPatch,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> ContactPointOut:
    """Change a contact point's type or status (`invalid` stops outreach to it)."""
    return await service.patch_contact_point(session, principal, debtor_id, point_id, body, now=now)
