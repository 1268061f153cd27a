"""Webhook sources (admin) and outbound endpoints (lenders): create, rotate, list, delete."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.crypto import DataCipher
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.debts import service as debts_service
from app.lenders import service as lenders_service
from app.webhooks import outbox, repository, signing
from app.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookSource
from app.webhooks.schemas import EndpointCreate

ROTATION_GRACE = timedelta(hours=24)


class SourceNotFound(NotFound):
    title = "Webhook source not found"


class EndpointNotFound(NotFound):
    title = "Webhook endpoint not found"


async def create_source(
    session: AsyncSession,
    principal: Principal,
    lender_id: uuid.UUID,
    name: str,
    *,
    now: datetime,
    cipher: DataCipher,
) -> tuple[WebhookSource, str]:
    """A new source for a lender, and its secret (returned once, stored encrypted)."""
    try:
        await lenders_service.get_lender(session, principal, lender_id)
    except NotFound:
        raise InvalidInput("#/lender_id", "No such lender.") from None
    secret = signing.new_secret()
    source = WebhookSource(
        lender_id=lender_id,
        name=name,
        secret_encrypted=cipher.encrypt(secret),
        created_at=now,
        updated_at=now,
    )
    session.add(source)
    await session.flush()
    return source, secret


async def rotate_source(
    session: AsyncSession,
    principal: Principal,
    source_id: uuid.UUID,
    *,
    now: datetime,
    cipher: DataCipher,
) -> tuple[WebhookSource, str]:
    """A new secret; the one it replaces is accepted for 24 hours more."""
    source = await repository.get_source(
        session, source_id, principal.lender_scope, for_update=True
    )
    if source is None:
        raise SourceNotFound()
    secret = signing.new_secret()
    source.previous_secret_encrypted = source.secret_encrypted
    source.previous_expires_at = now + ROTATION_GRACE
    source.secret_encrypted = cipher.encrypt(secret)
    source.updated_at = now
    await session.flush()
    return source, secret


async def list_sources(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[WebhookSource], str | None]:
    stmt = repository.sources_query(principal.lender_scope)
    return await page.fetch(session, stmt, WebhookSource.created_at, WebhookSource.id)


async def create_endpoint(
    session: AsyncSession,
    principal: Principal,
    command: EndpointCreate,
    *,
    now: datetime,
    cipher: DataCipher,
) -> tuple[WebhookEndpoint, str]:
    lender = await debts_service.target_lender(session, principal, command.lender_id)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        lender_id=lender.id,
        url=str(command.url),
        event_types=[t.value for t in command.event_types],
        secret_encrypted=cipher.encrypt(secret),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    outbox.forget_subscriptions(session, lender.id)
    return endpoint, secret


async def get_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(
        session, endpoint_id, principal.lender_scope, for_update=for_update
    )
    if endpoint is None:
        raise EndpointNotFound()
    return endpoint


async def list_endpoints(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[WebhookEndpoint], str | None]:
    stmt = repository.endpoints_query(principal.lender_scope)
    return await page.fetch(session, stmt, WebhookEndpoint.created_at, WebhookEndpoint.id)


async def delete_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, now: datetime
) -> None:
    """Stop sending to the endpoint; its undelivered events are cancelled."""
    endpoint = await get_endpoint(session, principal, endpoint_id, for_update=True)
    endpoint.deleted_at = now
    endpoint.updated_at = now
    await repository.cancel_pending(session, endpoint.id)
    await session.flush()
    outbox.forget_subscriptions(session, endpoint.lender_id)


async def list_deliveries(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, page: PageRequest
) -> tuple[list[WebhookDelivery], str | None]:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    stmt = repository.deliveries_query(endpoint.id)
    return await page.fetch(session, stmt, WebhookDelivery.created_at, WebhookDelivery.id)
