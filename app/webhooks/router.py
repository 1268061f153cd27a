"""/v1/webhook-sources, /v1/webhooks/telecom/{source_id}, /v1/webhook-endpoints"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import TypeAdapter

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.pagination import CursorQuery, LimitQuery, Page, PageRequest
from app.core.routing import PROBLEM, errors, v1_router
from app.webhooks import inbound, service
from app.webhooks.models import WebhookDelivery, WebhookSource
from app.webhooks.schemas import (
    EXAMPLE,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointWithSecret,
    SourceCreate,
    SourceOut,
    SourceWithSecret,
    TelecomEvent,
)

router = v1_router("webhooks")
SourceAdmin = Annotated[Principal, Depends(authorize("webhook_sources:write"))]
SourceReader = Annotated[Principal, Depends(authorize("webhook_sources:read"))]
EndpointWriter = Annotated[Principal, Depends(authorize("webhook_endpoints:write"))]
EndpointReader = Annotated[Principal, Depends(authorize("webhook_endpoints:read"))]


def _source_out(source: WebhookSource, secret: str | None = None) -> SourceOut:
    fields: dict[str, Any] = {
        "id": source.id,
        "lender_id": source.lender_id,
        "name": source.name,
        "previous_secret_expires_at": source.previous_expires_at,
        "created_at": source.created_at,
        "updated_at": source.updated_at,
    }
    return SourceWithSecret(**fields, secret=secret) if secret else SourceOut(**fields)


@router.post(
    "/webhook-sources",
    status_code=201,
    response_model=SourceWithSecret,
    responses=errors(413, 415),
)
async def create_webhook_source(
    body: SourceCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: SourceAdmin,
    now: NowDep,
) -> SourceOut:
    """Register a telecom billing system for a lender; its signing secret is shown only here."""
    source, secret = await service.create_source(
        session, principal, body.lender_id, body.name, now=now, cipher=request.app.state.cipher
    )
    response.headers["Location"] = f"/v1/webhook-sources/{source.id}"
    return _source_out(source, secret)


@router.post(
    "/webhook-sources/{source_id}/rotate",
    response_model=SourceWithSecret,
    responses=errors(404),
)
async def rotate_webhook_source(
    source_id: uuid.UUID, request: Request, session: SessionDep, principal: SourceAdmin, now: NowDep
) -> SourceOut:
    """Issue a new signing secret; the previous one is still accepted for 24 hours."""
    source, secret = await service.rotate_source(
        session, principal, source_id, now=now, cipher=request.app.state.cipher
    )
    return _source_out(source, secret)


@router.get("/webhook-sources", response_model=Page[SourceOut])
async def list_webhook_sources(
    request: Request,
    session: SessionDep,
    principal: SourceReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SourceOut]:
    """Webhook sources, newest first (never their secrets)."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await service.list_sources(session, principal, page)
    return Page[SourceOut](items=[_source_out(r) for r in rows], next_cursor=next_cursor)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema with its `$defs` references resolved in place (no recursion here)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


_TELECOM_SCHEMA = _inline(TypeAdapter(TelecomEvent).json_schema())
# What signing.parse_headers accepts (else 400), so the document says exactly that.
_BASE64 = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
_SIGNATURE = f"v1,{_BASE64}"
_SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "Unique per event (≤ 255 printable ASCII); a repeated id is not applied again.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds; more than 5 minutes from now is refused (401).",
        # 11 digits reach year 5138; 12 may pass datetime's year 9999 and answer 400.
        "schema": {"type": "string", "pattern": "^[0-9]{1,11}$"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "Space-separated `v1,<base64 HMAC-SHA256>` signatures (Standard Webhooks).",
        "schema": {"type": "string", "pattern": f"^{_SIGNATURE}( {_SIGNATURE}){{0,9}}$"},
    },
]


@router.post(
    "/webhooks/telecom/{source_id}",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Applied, ignored (unknown `type`) or a duplicate `webhook-id`"},
        400: {
            "description": "Missing or malformed webhook headers, or a non-UTF-8 body",
            **PROBLEM,
        },
        401: {"description": "Signature or timestamp not valid", **PROBLEM},
        404: {"description": "Unknown webhook source", **PROBLEM},
        422: {"description": "Validly signed but not valid; stored as `rejected`", **PROBLEM},
        **errors(413, 415),
    },
    openapi_extra={
        "parameters": _SIGNATURE_HEADERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _TELECOM_SCHEMA, "example": EXAMPLE}},
        },
    },
)
async def receive_telecom_webhook(
    source_id: uuid.UUID, request: Request, session: SessionDep, now: NowDep
) -> Response:
    """A signed telecom billing event (Standard Webhooks); applied exactly once per `webhook-id`.

    `bill.overdue` upserts a debt (`data` is a `POST /v1/debts` body), `bill.paid` records a
    payment, `bill.adjusted` restates the balance, `account.closed` closes the debt. The effect is
    committed before the answer.
    """
    state = request.app.state
    outcome = await inbound.receive(
        session,
        source_id,
        {k.lower(): v for k, v in request.headers.items()},
        await request.body(),
        now=now,
        secrets=inbound.Secrets(state.cipher, state.settings.secret_key.get_secret_value()),
    )
    if outcome.problem is not None:
        return outcome.problem.to_response()
    return Response(status_code=204)


@router.post(
    "/webhook-endpoints",
    status_code=201,
    response_model=EndpointWithSecret,
    responses=errors(413, 415),
)
async def create_webhook_endpoint(
    body: EndpointCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: EndpointWriter,
    now: NowDep,
) -> EndpointWithSecret:
    """Subscribe a URL to outbound events; its signing secret is shown only here."""
    endpoint, secret = await service.create_endpoint(
        session, principal, body, now=now, cipher=request.app.state.cipher
    )
    response.headers["Location"] = f"/v1/webhook-endpoints/{endpoint.id}"
    return EndpointWithSecret(**EndpointOut.model_validate(endpoint).model_dump(), secret=secret)


@router.get("/webhook-endpoints", response_model=Page[EndpointOut])
async def list_webhook_endpoints(
    request: Request,
    session: SessionDep,
    principal: EndpointReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[EndpointOut]:
    """Webhook endpoints, newest first."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await service.list_endpoints(session, principal, page)
    return Page[EndpointOut](
        items=[EndpointOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/webhook-endpoints/{endpoint_id}", response_model=EndpointOut, responses=errors(404))
async def get_webhook_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, principal: EndpointReader
) -> EndpointOut:
    """One webhook endpoint."""
    return EndpointOut.model_validate(await service.get_endpoint(session, principal, endpoint_id))


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    status_code=204,
    response_class=Response,
    responses=errors(404),
)
async def delete_webhook_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, principal: EndpointWriter, now: NowDep
) -> Response:
    """Stop sending to the endpoint; its undelivered events are cancelled."""
    await service.delete_endpoint(session, principal, endpoint_id, now=now)
    return Response(status_code=204)


def _delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(delivery)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response_model=Page[DeliveryOut],
    responses=errors(404),
)
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: EndpointReader,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DeliveryOut]:
    """Events sent (or to be sent) to the endpoint, newest first: attempts, status codes, next retry."""
    page = PageRequest(request.app.state.cursor_codec, principal.tenant, cursor, limit)
    rows, next_cursor = await service.list_deliveries(session, principal, endpoint_id, page)
    return Page[DeliveryOut](items=[_delivery_out(r) for r in rows], next_cursor=next_cursor)
