"""`Idempotency-Key` on POST: replay the first outcome, refuse a reused key with another body.

The record is written in the same transaction as the effects it describes, so a request killed
halfway leaves neither, and a retry executes it exactly once. While one request holds a key,
PostgreSQL answers a concurrent one 409 (an advisory transaction lock); SQLite already runs
writers one at a time (BEGIN IMMEDIATE), so the second one waits and then replays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.routing import APIRoute
from sqlalchemy import LargeBinary, String, UniqueConstraint, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import Response

from app.core.auth import get_principal
from app.core.clock import get_now
from app.core.config import Settings
from app.core.db import Base, is_postgres
from app.core.deps import SessionDep
from app.core.errors import BadRequest, Conflict, DomainError, InvalidInput
from app.core.models import IdMixin
from app.core.types import JSONType, UTCDateTime

REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant", "key"),)

    tenant: Mapped[str] = mapped_column(String(80), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class IdempotencyInFlight(Conflict):
    slug, title = "idempotency-in-flight", "A request with this Idempotency-Key is in progress"
    headers = {"Retry-After": "1"}


class IdempotentReplay(DomainError):
    """Not an error: the stored first response, answered again."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("replay")
        # Plain copies: the session is rolled back (and its objects expired) before we answer.
        self.status_code = record.status_code
        self.body = bytes(record.body)
        self.stored_headers = dict(record.headers)

    def to_response(self) -> Response:  # type: ignore[override]
        headers = {**self.stored_headers, REPLAYED_HEADER: "true"}
        return Response(self.body, status_code=self.status_code, headers=headers)


class PendingKey:
    """A claimed key whose response is stored when the handler has built it."""

    def __init__(
        self,
        session: AsyncSession,
        tenant: str,
        key: str,
        fingerprint: str,
        now: datetime,
        ttl: timedelta,
    ) -> None:
        self.session, self.tenant, self.key = session, tenant, key
        self.fingerprint, self.now, self.ttl = fingerprint, now, ttl

    async def record(self, response: Response) -> None:
        headers = {"content-type": response.headers.get("content-type", "application/json")}
        if "location" in response.headers:
            headers["location"] = response.headers["location"]
        self.session.add(
            IdempotencyRecord(
                tenant=self.tenant,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=response.status_code,
                body=bytes(response.body),
                headers=headers,
                created_at=self.now,
                expires_at=self.now + self.ttl,
            )
        )
        await self.session.flush()


def _valid_key(value: str) -> bool:
    return 1 <= len(value) <= 255 and all(0x20 <= ord(c) <= 0x7E for c in value)


def _lock_id(tenant: str, key: str) -> int:
    digest = hashlib.sha256(f"idem\x00{tenant}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def idempotency_guard(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="1–255 printable ASCII characters (else 400); a retry with the same key "
            "and body replays the first response (kept at least 24 h).",
            # Documented only: the guard answers 400 (not 422) for a malformed key.
            json_schema_extra={"minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
        ),
    ] = None,
) -> None:
    """Claim the key or replay what it already answered.

    Runs before the endpoint's own dependencies, on every POST: without a key it costs nothing
    more than its one header, and the principal and clock are resolved only when a key is sent
    (both are kept in request.state, so the endpoint gets the same ones)."""
    if idempotency_key is None:
        return
    principal = await get_principal(request, session)
    if not _valid_key(idempotency_key):
        raise BadRequest("Idempotency-Key must be 1–255 printable ASCII characters.")
    settings: Settings = request.app.state.settings
    now = await get_now(request)
    tenant = principal.tenant
    body = await request.body()
    target = f"{request.method} {request.url.path}?{request.url.query}".encode()
    fingerprint = hashlib.sha256(target + b"\n" + body).hexdigest()
    if is_postgres(session):
        locked = await session.scalar(
            select(func.pg_try_advisory_xact_lock(_lock_id(tenant, idempotency_key)))
        )
        if not locked:
            raise IdempotencyInFlight("Retry after the first request has finished.")
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.tenant == tenant, IdempotencyRecord.key == idempotency_key
    )
    existing = await session.scalar(stmt)
    if existing is not None and existing.expires_at <= now:
        await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
        existing = None
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise InvalidInput(
                "#",
                "This Idempotency-Key was used with a different request.",
            )
        raise IdempotentReplay(existing)
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    request.state.idempotency = PendingKey(session, tenant, idempotency_key, fingerprint, now, ttl)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Forget keys past their retention; run by the sweep."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class ArrearsRoute(APIRoute):
    """Every POST gets the Idempotency-Key guard; its response is stored before the commit."""

    # Signed webhooks carry their own idempotency (webhook-id) and no bearer key.
    skip_prefixes: tuple[str, ...] = ("/v1/webhooks/",)

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in (kwargs.get("methods") or ())}
        if "POST" in methods and not path.startswith(self.skip_prefixes):
            deps = list(kwargs.get("dependencies") or [])
            deps.append(Depends(idempotency_guard))
            kwargs["dependencies"] = deps
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            response = await handler(request)
            pending = getattr(request.state, "idempotency", None)
            if isinstance(pending, PendingKey) and response.status_code < 500:
                await pending.record(response)
            return response

        return route_handler
