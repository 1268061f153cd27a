"""kill -9 of a real `arrears serve` while signed webhooks are posted: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import create_engine
from tests.conftest import ADMIN, ADMIN_KEY, FreshDatabases
from tests.e2e.receiver import free_port
from tests.webhooks_helpers import event_body, overdue_data, signed_headers

ARREARS = Path(sys.executable).with_name("arrears")
POSTERS = 8


async def _serve(url: str, port: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "ARREARS_ENV": "test",
        "ARREARS_DATABASE_URL": url,
        "ARREARS_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "ARREARS_BACKGROUND": "off",
        "ARREARS_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        str(ARREARS),
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _ready(http: httpx.AsyncClient, proc: asyncio.subprocess.Process) -> None:
    for _ in range(300):
        assert proc.returncode is None, "arrears serve exited"
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("arrears serve did not become ready")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def _post(http: httpx.AsyncClient, source: dict[str, Any], webhook_id: str) -> bool:
    """True when the service acknowledged (204); False when the request did not complete."""
    body = event_body("bill.overdue", overdue_data(webhook_id))
    headers = signed_headers(source["secret"], webhook_id, body, datetime.now(UTC))
    try:
        response = await http.post(
            f"/v1/webhooks/telecom/{source['id']}", content=body, headers=headers
        )
    except httpx.TransportError:
        return False
    assert response.status_code == 204, response.text
    return True


async def _applied(url: str) -> tuple[dict[str, int], dict[str, int], int]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as conn:
            events = dict(
                (
                    await conn.execute(
                        text("SELECT webhook_id, count(*) FROM webhook_events GROUP BY webhook_id")
                    )
                ).all()
            )
            debts = dict(
                (
                    await conn.execute(
                        text("SELECT external_ref, count(*) FROM debts GROUP BY external_ref")
                    )
                ).all()
            )
            created = (
                await conn.execute(
                    text("SELECT count(*) FROM debt_events WHERE type = 'debt.created'")
                )
            ).scalar_one()
        return events, debts, int(created)
    finally:
        await engine.dispose()


async def test_kill_9_loses_no_acknowledged_webhook(fresh_databases: FreshDatabases) -> None:
    url = await fresh_databases.create()
    await fresh_databases.migrate(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    acked: set[str] = set()
    attempted: set[str] = set()
    proc = await _serve(url, port)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            await _ready(http, proc)
            lender = (
                await http.post(
                    "/v1/lenders", json={"code": "telco", "name": "Telco"}, headers=ADMIN
                )
            ).json()
            source = (
                await http.post(
                    "/v1/webhook-sources",
                    json={"lender_id": lender["id"], "name": "billing"},
                    headers=ADMIN,
                )
            ).json()

            async def poster(n: int) -> None:
                for i in range(400):  # bounded; the kill ends it much sooner
                    webhook_id = f"wh-{n}-{i}"
                    attempted.add(webhook_id)
                    if not await _post(http, source, webhook_id):
                        return
                    acked.add(webhook_id)

            tasks = [asyncio.create_task(poster(n)) for n in range(POSTERS)]
            for _ in range(600):
                if len(acked) >= 80:
                    break
                await asyncio.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)  # mid-stream: requests are in flight
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
            await proc.wait()
        assert len(acked) >= 80 and attempted - acked, "the kill did not land mid-stream"

        events, debts, _ = await _applied(url)
        for webhook_id in acked:
            assert events.get(webhook_id) == 1, webhook_id
            assert debts.get(webhook_id) == 1, webhook_id

        proc = await _serve(url, port)
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            await _ready(http, proc)
            for webhook_id in sorted(attempted):  # the unacknowledged ones, and the acked again
                assert await _post(http, source, webhook_id), webhook_id
        events, debts, created = await _applied(url)
        assert set(events) == attempted and set(events.values()) == {1}
        assert set(debts) == attempted and set(debts.values()) == {1}
        assert created == len(attempted)
    finally:
        await _stop(proc)
