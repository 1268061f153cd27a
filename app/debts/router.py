"""/v1/debts"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.errors import InvalidInput
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.core.schemas import InstantParam
from app.debts import service
from app.debts.models import DebtStatus, Product
from app.debts.schemas import BatchResult, DebtBatch, DebtCreate, DebtEventOut, DebtOut, DebtPatch

router = v1_router("debts")
Reader = Annotated[Principal, Depends(authorize("debts:read"))]
Writer = Annotated[Principal, Depends(authorize("debts:write"))]
BucketName = Literal["current", "1-30", "31-60", "61-90", "91-180", "181+"]


def _secrets(request: Request) -> dict[str, object]:
    state = request.app.state
    return {"cipher": state.cipher, "secret": state.settings.secret_key.get_secret_value()}


@router.post(
    "/debts",
    status_code=201,
    response_model=DebtOut,
    responses={
        200: {"description": "Updated (or unchanged)", "model": DebtOut},
        **errors(413, 415),
    },
)
async def upsert_debt(
    body: DebtCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> DebtOut:
    """Create or update a debt by (lender, `external_ref`), with its debtor embedded and upserted."""
    raw = body.model_dump(mode="json", exclude_unset=True)
    result, debt = await service.upsert_debt(session, principal, raw, now=now, **_secrets(request))  # type: ignore[arg-type]
    response.status_code = 201 if result.status == "created" else 200
    response.headers["Location"] = f"/v1/debts/{debt.id}"
    return debt


@router.post("/debts/batch", response_model=BatchResult, responses=errors(413, 415))
async def ingest_debts(
    body: DebtBatch,
    request: Request,
    session: SessionDep,
    principal: Writer,
    now: NowDep,
) -> BatchResult:
    """Upsert up to 1,000 debts; each item is applied or rejected on its own.

    Each item has the shape of `POST /v1/debts` (without `lender_id`). Error pointers in
    `results[].errors` are relative to the item.
    """
    return await service.ingest_batch(
        session,
        principal,
        body.lender_id,
        body.items,
        now=now,
        **_secrets(request),  # type: ignore[arg-type]
    )


@router.get("/debts", response_model=Page[DebtOut])
async def list_debts(
    request: Request,
    session: SessionDep,
    principal: Reader,
    now: NowDep,
    status: DebtStatus | None = None,
    bucket: BucketName | None = None,
    product: Product | None = None,
    min_dpd: Annotated[int | None, Query(ge=-100_000, le=100_000)] = None,
    max_dpd: Annotated[int | None, Query(ge=-100_000, le=100_000)] = None,
    assigned_agent_id: uuid.UUID | None = None,
    escalation_level: Annotated[str | None, Query(max_length=32)] = None,
    updated_since: Annotated[InstantParam | None, Query()] = None,
    lender_id: uuid.UUID | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DebtOut]:
    """The caller's debts, newest first; DPD and bucket are counted in each lender's time zone."""
    filters = service.DebtFilters(
        status=status,
        bucket=bucket,
        product=product,
        min_dpd=min_dpd,
        max_dpd=max_dpd,
        assigned_agent_id=assigned_agent_id,
        escalation_level=escalation_level,
        updated_since=_aware(updated_since),
        lender_id=lender_id,
    )
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_debts(session, principal, filters, page, now=now)
    return Page[DebtOut](items=items, next_cursor=next_cursor)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput("#/updated_since", "Give an offset (RFC 3339).")
    return value


# `:uuid` keeps `/v1/debts/batch` out of these routes: other methods on it answer 405, not 422.
@router.get("/debts/{debt_id:uuid}", response_model=DebtOut, responses=errors(404))
async def get_debt(
    debt_id: uuid.UUID, session: SessionDep, principal: Reader, now: NowDep
) -> DebtOut:
    """One debt, with `dpd` and `bucket` as of today in the lender's time zone."""
    return await service.get_debt(session, principal, debt_id, now=now)


@router.patch("/debts/{debt_id:uuid}", response_model=DebtOut, responses=errors(404, 409, 415))
async def patch_debt(
    debt_id: uuid.UUID,
    body: DebtPatch,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("debts:patch"))],
    now: NowDep,
) -> DebtOut:
    """Assign, regroup, re-profile, annotate, or set status (lender: `recalled`; admin or supervisor: `closed`, `written_off`)."""
    return await service.patch_debt(session, principal, debt_id, body, now=now)


@router.get("/debts/{debt_id}/events", response_model=Page[DebtEventOut], responses=errors(404))
async def list_debt_events(
    debt_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DebtEventOut]:
    """The debt's timeline, oldest first: who did what, when, with before/after values."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await service.list_events(session, principal, debt_id, page)
    return Page[DebtEventOut](
        items=[DebtEventOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
