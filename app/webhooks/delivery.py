"""Delivering the outbox: claim due rows, send them signed, record the outcome.

One round: (1) in one short transaction, lock due deliveries (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so concurrent workers take disjoint rows), count the attempt and mark them
`delivering` with a claim that expires after the HTTP timeout plus a margin; commit. (2) POST
each one, signed with the endpoint's Standard Webhooks secret, outside any transaction. (3) In a
second transaction, record each outcome, only where the claim is still ours. A worker killed
between (1) and (3) leaves rows whose claim expires, and another worker retries them. Failed
attempts are retried with exponential backoff and jitter until `webhook_max_attempts`, then `dead`.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.background import register_loop
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import DataCipher
from app.core.deps import session_scope
from app.core.logging import get_logger
from app.webhooks import repository, signing
from app.webhooks.models import DeliveryStatus

log = get_logger("arrears.webhooks")
CLAIM_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Job:
    delivery_id: uuid.UUID
    webhook_id: str
    url: str
    secret: str
    body: str
    attempts: int
    history: list[dict[str, Any]]


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential in the attempts made, capped, with jitter over the upper half."""
    ceiling = min(
        settings.webhook_backoff_base_s * 2 ** min(attempts - 1, 30), settings.webhook_backoff_max_s
    )
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


def _body(event_type: str, created_at: datetime, payload: dict[str, Any]) -> str:
    timestamp = created_at.isoformat().replace("+00:00", "Z")
    return orjson.dumps({"type": event_type, "timestamp": timestamp, "data": payload}).decode()


async def _claim(
    session: AsyncSession, settings: Settings, cipher: DataCipher, token: uuid.UUID, now: datetime
) -> list[Job]:
    jobs = []
    expiry = now + timedelta(seconds=settings.webhook_timeout_s) + CLAIM_MARGIN
    for delivery, endpoint in await repository.claim_due(session, now, settings.webhook_batch_size):
        if delivery.attempts >= settings.webhook_max_attempts:
            # Its last claim expired without an outcome (a worker died mid-send).
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
            delivery.claim_token = None
            continue
        delivery.status = DeliveryStatus.DELIVERING
        delivery.claim_token = token
        delivery.attempts += 1
        delivery.next_attempt_at = expiry
        jobs.append(
            Job(
                delivery_id=delivery.id,
                webhook_id=str(delivery.event_id),
                url=endpoint.url,
                secret=cipher.decrypt(endpoint.secret_encrypted),
                body=_body(delivery.event_type, delivery.created_at, delivery.payload),
                attempts=delivery.attempts,
                history=list(delivery.history),
            )
        )
    await session.flush()
    return jobs


async def _send(client: httpx.AsyncClient, job: Job, timeout_s: float) -> Attempt:
    headers = signing.sign_headers(job.secret, job.webhook_id, utcnow(), job.body)
    headers["content-type"] = "application/json"
    started = time.perf_counter()
    try:
        response = await client.post(
            job.url, content=job.body.encode(), headers=headers, timeout=timeout_s
        )
        code: int | None = response.status_code
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        code, error = None, type(exc).__name__
    except Exception as exc:  # a malformed URL must not stop the other deliveries
        code, error = None, type(exc).__name__
    return Attempt(code, error, int((time.perf_counter() - started) * 1000))


def _outcome(job: Job, attempt: Attempt, settings: Settings, now: datetime) -> dict[str, Any]:
    entry = {
        "at": now.isoformat(),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }
    values: dict[str, Any] = {
        "claim_token": None,
        "last_status_code": attempt.status_code,
        "last_error": attempt.error,
        "history": [*job.history, entry],
        "delivered_at": None,
        "next_attempt_at": None,
    }
    if attempt.ok:
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
    elif job.attempts >= settings.webhook_max_attempts:
        values.update(status=DeliveryStatus.DEAD.value)
    else:
        values.update(
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=now + backoff(job.attempts, settings),
        )
    return values


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
    cipher: DataCipher,
) -> int:
    """One round; returns how many deliveries were attempted."""
    token = uuid.uuid4()
    async with session_scope(sessionmaker) as session:
        jobs = await _claim(session, settings, cipher, token, utcnow())
    if not jobs:
        return 0
    attempts = await asyncio.gather(*(_send(client, j, settings.webhook_timeout_s) for j in jobs))
    now = utcnow()
    outcomes = [
        {"delivery_id": job.delivery_id, **_outcome(job, attempt, settings, now)}
        for job, attempt in zip(jobs, attempts, strict=True)
    ]
    async with session_scope(sessionmaker) as session:
        await repository.finish_attempts(session, token, outcomes)
    return len(jobs)


@register_loop("webhook_delivery")
async def run_delivery(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    """Deliver until `stop`; a full batch is followed at once by the next round."""
    cipher = DataCipher(settings.data_key.get_secret_value())
    limits = httpx.Limits(max_connections=settings.webhook_batch_size)
    async with httpx.AsyncClient(follow_redirects=False, limits=limits) as client:
        while not stop.is_set():
            try:
                sent = await deliver_due(sessionmaker, settings, client, cipher)
            except Exception as exc:  # the database may be away for a while; keep going
                log.error("webhook_delivery_failed", error=type(exc).__name__)
                sent = 0
            if sent >= settings.webhook_batch_size:
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.webhook_poll_interval_s)
            except TimeoutError:
                pass
