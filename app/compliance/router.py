"""/v1/compliance and /v1/lenders/{id}/compliance"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from app.compliance import service
from app.compliance.models import Verdict
from app.compliance.schemas import (
    CallableRequest,
    CallableResponse,
    DecisionOut,
    EvaluateRequest,
    EvaluateResponse,
    LenderCompliance,
    LenderComplianceOut,
)
from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep, read_only
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import errors, v1_router
from app.rules import list_presets

router = v1_router("compliance")
Reader = Annotated[Principal, Depends(authorize("compliance:read"))]
Evaluator = Annotated[Principal, Depends(authorize("compliance:evaluate"))]


@router.get("/compliance/profiles", response_model=list[dict[str, Any]])
async def list_compliance_profiles(_: Reader) -> list[dict[str, Any]]:
    """The built-in presets (COMPLIANCE.md §1) with their rules as data."""
    return list_presets()


@router.get("/compliance/profiles/{code}", response_model=dict[str, Any], responses=errors(404))
async def get_compliance_profile(code: str, _: Reader) -> dict[str, Any]:
    """One preset with its windows, caps, cool-downs and version."""
    return service.profile(code)


@router.put(
    "/lenders/{lender_id}/compliance",
    response_model=LenderComplianceOut,
    responses=errors(404, 415),
)
async def set_lender_compliance(
    lender_id: uuid.UUID,
    body: LenderCompliance,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("compliance:configure"))],
    now: NowDep,
) -> LenderComplianceOut:
    """Set a lender's profiles and its own rules (`frequency_cap`, `time_window`, `cooldown`); they only add restrictions."""
    return await service.set_lender_compliance(session, principal, lender_id, body, now=now)


@router.get(
    "/lenders/{lender_id}/compliance", response_model=LenderComplianceOut, responses=errors(404)
)
async def get_lender_compliance(
    lender_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("lenders:read"))],
) -> LenderComplianceOut:
    """A lender's compliance profiles and rules."""
    return await service.get_lender_compliance(session, principal, lender_id)


@router.post("/compliance/evaluate", response_model=EvaluateResponse, responses=errors(404, 415))
@read_only
async def evaluate_outreach(
    body: EvaluateRequest, session: SessionDep, principal: Evaluator, now: NowDep
) -> EvaluateResponse:
    """Would this outreach be allowed at `at` (default now)? No side effects; history, holds and consents as of `at`."""
    at = service.check_instant(body.at, now)
    decision = await service.evaluate_request(
        session,
        principal,
        debt_id=body.debt_id,
        channel=body.channel.value,
        purpose=body.purpose,
        contact_point_id=body.contact_point_id,
        to=body.to,
        destination_type=body.destination_type.value if body.destination_type else None,
        at=at,
    )
    return EvaluateResponse.model_validate(decision.to_dict())


@router.post("/compliance/callable", response_model=CallableResponse, responses=errors(413, 415))
async def callable_list(
    body: CallableRequest, session: SessionDep, principal: Evaluator, now: NowDep
) -> Response:
    """The dialer's call list: which debts may be contacted on `channel` now (up to 100,000 per call).

    Each debt is evaluated through its best active contact point for the channel (cell first);
    debts the caller may not see are left out; a debt without such a contact point is blocked
    with `NO_ACTIVE_DESTINATION`.
    """
    at = service.check_instant(body.at, now)
    ids = await service.callable_selection(session, principal, body.debt_ids, body.filter, now)
    result = await service.callable_debts(
        session, principal, channel=body.channel.value, at=at, debt_ids=ids, purpose=body.purpose
    )
    # The body is `CallableResponse`, written directly (`CallableResult.to_json`).
    return Response(result.to_json(at), media_type="application/json")


@router.get("/compliance/decisions", response_model=Page[DecisionOut])
async def list_decisions(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("decisions:read"))],
    debt_id: uuid.UUID | None = None,
    decision: Verdict | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DecisionOut]:
    """The evidence ledger: every decision that came from a contact attempt, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    items, next_cursor = await service.list_decisions(
        session, principal, page, debt_id=debt_id, verdict=decision
    )
    return Page[DecisionOut](items=items, next_cursor=next_cursor)


@router.get(
    "/compliance/decisions/{decision_id}", response_model=DecisionOut, responses=errors(404)
)
async def get_decision(
    decision_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(authorize("decisions:read"))],
) -> DecisionOut:
    """One decision with its inputs: profiles, zones with local times, counters, reasons."""
    return await service.get_decision(session, principal, decision_id)
