"""Outbound webhooks end to end: a real receiver on loopback, retries, claims, two workers."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.deps import session_scope
from app.webhooks import delivery, outbox, repository
from tests.conftest import ADMIN, make_settings, scalar
from tests.debts_helpers import debt_item
from tests.e2e.receiver import Receiver, running
from tests.helpers import create_lender

ARREARS = Path(sys.executable).with_name("arrears")


@pytest.fixture
async def lender(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create_lender(client, "acme")


async def _endpoint(
    client: httpx.AsyncClient, lender: dict[str, Any], url: str, types: list[str]
) -> dict[str, Any]:
    body = {"url": url, "event_types": types, "lender_id": lender["id"]}
    response = await client.post("/v1/webhook-endpoints", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _fast(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_backoff_base_s": 0.01,
        "webhook_backoff_max_s": 0.05,
        "webhook_timeout_s": 5,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


async def _deliver_until(app: FastAPI, settings: Settings, done: Any, rounds: int = 200) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(rounds):
            await delivery.deliver_due(app.state.sessionmaker, settings, http, app.state.cipher)
            if await done():
                return
            await asyncio.sleep(0.02)
    raise AssertionError("deliveries did not finish")


def _verify(secret: str, headers: dict[str, str], body: bytes) -> Any:
    return Webhook(secret).verify(body, headers)


async def test_signed_event_reaches_a_receiver_that_fails_twice_exactly_once(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, lender: dict[str, Any]
) -> None:
    async with running(Receiver(fail_first=2)) as receiver:
        endpoint = await _endpoint(client, lender, receiver.url, ["debt.created"])
        posted = await client.post(
            "/v1/debts", json={**debt_item("D-1"), "lender_id": lender["id"]}, headers=ADMIN
        )
        assert posted.status_code == 201

        async def delivered() -> bool:
            sql = "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'"
            return await scalar(app, sql) == 1

        await _deliver_until(app, _fast(database_url), delivered)
    assert len(receiver.requests) == 3
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert len(ids) == 1  # the same webhook-id on every retry
    for headers, body in receiver.requests:
        event = _verify(endpoint["secret"], headers, body)
        assert event["type"] == "debt.created"
        assert event["data"]["debt_id"] == posted.json()["id"]
        assert event["data"]["external_ref"] == "D-1"
    succeeded = list(receiver.requests[2:])
    assert len(succeeded) == 1
    listed = await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=ADMIN)
    [row] = listed.json()["items"]
    assert row["status"] == "delivered" and row["attempts"] == 3
    assert [a["status_code"] for a in row["history"]] == [500, 500, 204]
    assert row["next_attempt_at"] is None and row["delivered_at"] is not None
    assert row["event_id"] == next(iter(ids))


async def test_a_receiver_that_never_answers_2xx_ends_dead(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, lender: dict[str, Any]
) -> None:
    async with running(Receiver(fail_first=100)) as receiver:
        endpoint = await _endpoint(client, lender, receiver.url, ["debt.created"])
        await client.post(
            "/v1/debts", json={**debt_item("D-1"), "lender_id": lender["id"]}, headers=ADMIN
        )

        async def dead() -> bool:
            return await scalar(app, "SELECT status FROM webhook_deliveries") == "dead"

        await _deliver_until(app, _fast(database_url, webhook_max_attempts=3), dead)
    assert len(receiver.requests) == 3
    listed = await client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=ADMIN)
    [row] = listed.json()["items"]
    assert row["attempts"] == 3 and row["last_status_code"] == 500
    assert row["last_error"] == "HTTP 500" and row["next_attempt_at"] is None


async def test_an_expired_claim_is_taken_over_and_the_stale_worker_cannot_record(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, lender: dict[str, Any]
) -> None:
    settings = _fast(database_url)
    async with running(Receiver()) as receiver:
        await _endpoint(client, lender, receiver.url, ["debt.created"])
        await client.post(
            "/v1/debts", json={**debt_item("D-1"), "lender_id": lender["id"]}, headers=ADMIN
        )
        stale = uuid.uuid4()
        async with session_scope(app.state.sessionmaker) as session:
            jobs = await delivery._claim(session, settings, app.state.cipher, stale, utcnow())
        assert len(jobs) == 1
        async with httpx.AsyncClient() as http:  # claimed: nobody else may take it now
            assert (
                await delivery.deliver_due(app.state.sessionmaker, settings, http, app.state.cipher)
                == 0
            )
        # The claiming worker died; its claim runs out.
        async with app.state.engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE webhook_deliveries SET next_attempt_at = created_at")

        async def delivered() -> bool:
            return await scalar(app, "SELECT status FROM webhook_deliveries") == "delivered"

        await _deliver_until(app, settings, delivered)
    # The stale worker's late outcome is ignored: its claim token is no longer the row's.
    stale_outcome = {"delivery_id": jobs[0].delivery_id, "status": "dead", "attempts": 99}
    async with session_scope(app.state.sessionmaker) as session:
        await repository.finish_attempts(session, stale, [stale_outcome])
    assert await scalar(app, "SELECT status FROM webhook_deliveries") == "delivered"
    assert await scalar(app, "SELECT attempts FROM webhook_deliveries") == 2
    assert len(receiver.requests) == 1


async def _start_worker(database_url: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "ARREARS_ENV": "test",
        "ARREARS_DATABASE_URL": database_url,
        "ARREARS_LOG_LEVEL": "WARNING",
        "ARREARS_SWEEP_INTERVAL_S": "600",
        "ARREARS_WEBHOOK_POLL_INTERVAL_S": "0.05",
        "ARREARS_WEBHOOK_BATCH_SIZE": "100",
    }
    return await asyncio.create_subprocess_exec(
        str(ARREARS),
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_two_workers_deliver_a_thousand_events_once_each(
    client: httpx.AsyncClient, app: FastAPI, database_url: str, lender: dict[str, Any]
) -> None:
    # Started first: their start-up (imports) overlaps with queueing the events.
    workers = [await _start_worker(database_url), await _start_worker(database_url)]
    try:
        async with running(Receiver()) as receiver:
            endpoint = await _endpoint(client, lender, receiver.url, ["payment.received"])
            lender_id = uuid.UUID(lender["id"])
            async with session_scope(app.state.sessionmaker) as session:
                events = [("payment.received", {"n": n}) for n in range(1000)]
                queued = await outbox.emit_many(
                    session, lender_id=lender_id, events=events, at=utcnow()
                )
            assert queued == 1000
            sql = "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'"
            for _ in range(450):  # bounded: ~5 s unloaded, more on a busy CI machine
                if await scalar(app, sql) == 1000:
                    break
                assert all(w.returncode is None for w in workers), "a worker exited"
                await asyncio.sleep(0.1)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.terminate()
        for worker in workers:
            try:
                await asyncio.wait_for(worker.wait(), timeout=10)
            except TimeoutError:
                worker.kill()
                await worker.wait()
    ids = Counter(headers["webhook-id"] for headers, _ in receiver.requests)
    assert len(receiver.requests) == 1000 and len(ids) == 1000, ids.most_common(3)
    stored = await scalar(app, "SELECT count(DISTINCT event_id) FROM webhook_deliveries")
    assert stored == 1000
    assert await scalar(app, "SELECT max(attempts) FROM webhook_deliveries") == 1
    numbers = sorted(
        _verify(endpoint["secret"], headers, body)["data"]["n"]
        for headers, body in receiver.requests
    )
    assert numbers == list(range(1000))
    assert all(orjson.loads(body)["type"] == "payment.received" for _, body in receiver.requests)
