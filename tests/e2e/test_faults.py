"""Faults against a real `arrears serve`: kill -9 mid batch ingest, SIGTERM under load, and an
exhausted connection pool. (kill -9 during webhook intake and delivery: test_webhook_kill9.py and
test_webhook_delivery.py; PostgreSQL stopped while serving: test_faults_postgres_down.py.)"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, DB_KIND, FreshDatabases
from tests.debts_helpers import debt_item
from tests.e2e.fault_helpers import counts, status_of, wait_for, writers_blocked
from tests.helpers import assert_problem, create_lender
from tests.live_server import live_process

BATCHES = 10
ITEMS = 100


async def _migrated(fresh_databases: FreshDatabases) -> str:
    url = await fresh_databases.create()
    await fresh_databases.migrate(url)
    return url


async def test_kill_9_during_batch_ingest_then_retry_applies_each_item_once(
    fresh_databases: FreshDatabases,
) -> None:
    url = await _migrated(fresh_databases)
    bodies: dict[str, dict[str, Any]] = {}
    acked: set[str] = set()
    attempted: set[str] = set()
    async with live_process(url) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
            lender = await create_lender(http, "acme")
            for b in range(BATCHES):
                items = [debt_item(f"B{b}-{i}") for i in range(ITEMS)]
                bodies[f"batch-{b}"] = {"lender_id": lender["id"], "items": items}
            queue = list(bodies)

            async def poster() -> None:
                while queue:
                    key = queue.pop(0)
                    attempted.add(key)
                    try:
                        response = await http.post(
                            "/v1/debts/batch",
                            json=bodies[key],
                            headers={**ADMIN, "Idempotency-Key": key},
                        )
                    except httpx.TransportError:
                        return
                    assert response.status_code == 200, response.text
                    acked.add(key)

            posters = [asyncio.create_task(poster()) for _ in range(3)]

            async def some_acked() -> bool:
                return len(acked) >= 2

            await wait_for(some_acked, "two acknowledged batches", timeout_s=60, interval_s=0.005)
            os.kill(server.pid, signal.SIGKILL)  # the other posters are mid-batch
            await asyncio.wait_for(asyncio.gather(*posters), timeout=30)
            await asyncio.to_thread(server.proc.wait, 10)
    assert attempted - acked, "the kill did not land while a batch was in flight"

    total = BATCHES * ITEMS
    async with live_process(url) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
            for _round in range(2):  # the retry, then a retry of the retry: both replays now
                for key, body in bodies.items():
                    response = await http.post(
                        "/v1/debts/batch", json=body, headers={**ADMIN, "Idempotency-Key": key}
                    )
                    assert response.status_code == 200, response.text
                    result = response.json()
                    # Executed twice, the upsert would answer "unchanged": every item was
                    # created by exactly one execution, whose answer this is.
                    assert result["counts"]["created"] == ITEMS, (key, result["counts"])
                    if key in acked or _round == 1:
                        assert response.headers.get("idempotent-replayed") == "true", key
    found = await counts(
        url,
        debts="SELECT count(*) FROM debts",
        refs="SELECT count(DISTINCT external_ref) FROM debts",
        debtors="SELECT count(*) FROM debtors",
        created="SELECT count(*) FROM debt_events WHERE type = 'debt.created'",
        keys="SELECT count(*) FROM idempotency_keys",
    )
    assert found == {
        "debts": total,
        "refs": total,
        "debtors": total,
        "created": total,
        "keys": BATCHES,
    }


async def test_sigterm_under_load_readiness_goes_503_and_in_flight_requests_finish(
    fresh_databases: FreshDatabases,
) -> None:
    url = await _migrated(fresh_databases)
    drain_s = 1.5
    writers = 8
    reads: Counter[int | str] = Counter()
    async with live_process(url, env={"ARREARS_SHUTDOWN_DRAIN_S": str(drain_s)}) as server:
        base = server.base
        limits = httpx.Limits(max_connections=20)
        async with (
            httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http,
            httpx.AsyncClient(base_url=base, timeout=10) as reader_http,
        ):
            lender = await create_lender(http, "acme")
            stop = asyncio.Event()

            async def reader() -> None:
                for _ in range(5_000):  # bounded; `stop` ends it much sooner
                    if stop.is_set():
                        return
                    try:
                        response = await reader_http.get("/v1/debts", headers=ADMIN)
                    except httpx.TransportError:
                        reads["not connected"] += 1
                        await asyncio.sleep(0.02)
                        continue
                    reads[response.status_code] += 1

            readers = [asyncio.create_task(reader()) for _ in range(4)]
            try:
                async with writers_blocked(url):
                    in_flight = [
                        asyncio.create_task(
                            http.post(
                                "/v1/debts",
                                json={**debt_item(f"W-{n}"), "lender_id": lender["id"]},
                                headers=ADMIN,
                            )
                        )
                        for n in range(writers)
                    ]
                    await asyncio.sleep(0.5)  # the writers are waiting on the lock
                    assert not any(task.done() for task in in_flight)
                    os.kill(server.pid, signal.SIGTERM)

                    async def not_ready() -> bool:
                        return await status_of(base, "/readyz") == 503

                    took = await wait_for(not_ready, "/readyz 503", timeout_s=1.0, interval_s=0.01)
                    assert took < drain_s
                    # Draining: still serving, only readiness has changed.
                    assert await status_of(base, "/livez") == 200
                    assert await status_of(base, "/v1/debts", headers=ADMIN) == 200

                    async def refused() -> bool:
                        return await status_of(base, "/livez") is None

                    await wait_for(refused, "the listener to close", timeout_s=drain_s + 5)
                    assert server.proc.poll() is None, "exited with requests in flight"
                    assert not any(task.done() for task in in_flight)
                # The lock is gone: the requests accepted before the stop complete.
                done = await asyncio.wait_for(asyncio.gather(*in_flight), timeout=20)
                assert [r.status_code for r in done] == [201] * writers, [r.text for r in done]
            finally:
                stop.set()
                await asyncio.gather(*readers)
        exit_code = await asyncio.to_thread(server.proc.wait, 20)
    assert exit_code in (0, -signal.SIGTERM), exit_code
    assert reads[200] > 0 and not [s for s in reads if isinstance(s, int) and s >= 500], reads
    found = await counts(url, debts="SELECT count(*) FROM debts")
    assert found == {"debts": writers}


@pytest.mark.skipif(
    DB_KIND != "postgres",
    reason="the connection pool is PostgreSQL's (SQLite writers queue on the file lock)",
)
async def test_exhausted_pool_answers_503_with_retry_after_quickly(
    fresh_databases: FreshDatabases,
) -> None:
    url = await _migrated(fresh_databases)
    env = {
        "ARREARS_DB_POOL_SIZE": "1",
        "ARREARS_DB_MAX_OVERFLOW": "0",
        "ARREARS_DB_POOL_TIMEOUT_S": "0.5",
    }
    async with live_process(url, env=env) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            lender = await create_lender(http, "acme")
            first = await http.post(
                "/v1/debts", json={**debt_item("D-0"), "lender_id": lender["id"]}, headers=ADMIN
            )
            assert first.status_code == 201, first.text
            debt_id = first.json()["id"]
            async with writers_blocked(url):
                # This request takes the pool's only connection and waits on the lock with it.
                holder = asyncio.create_task(
                    http.post(
                        "/v1/debts",
                        json={**debt_item("D-1"), "lender_id": lender["id"]},
                        headers=ADMIN,
                    )
                )
                await asyncio.sleep(0.5)
                assert not holder.done()

                async def timed(path: str) -> tuple[httpx.Response, float]:
                    started = time.monotonic()
                    response = await http.get(path, headers=ADMIN)
                    return response, time.monotonic() - started

                answers = await asyncio.gather(
                    *(timed(f"/v1/debts/{debt_id}") for _ in range(5)),
                    *(timed("/v1/debts") for _ in range(5)),
                )
                for response, seconds in answers:
                    body = assert_problem(response, 503, "service-unavailable")
                    assert response.headers["retry-after"] == "1", body
                    assert seconds < 3, seconds  # the pool timeout, not a hang
                assert (await http.get("/readyz")).status_code == 503
                assert (await http.get("/livez")).status_code == 200
                assert not holder.done()
            held = await asyncio.wait_for(holder, timeout=20)
            assert held.status_code == 201, held.text
            assert (await http.get(f"/v1/debts/{debt_id}", headers=ADMIN)).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
    found = await counts(url, debts="SELECT count(*) FROM debts")
    assert found == {"debts": 2}
