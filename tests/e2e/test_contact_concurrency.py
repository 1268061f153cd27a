"""50 simultaneous outbound contacts on one debt with one Reg F slot left, on a real server:
exactly one is allowed, on PostgreSQL with two workers and on SQLite with one.

So that the attempts really meet at the critical section (and do not merely queue for the
server's new pool connections one after another), the test holds the debtor's lock itself — a
`FOR UPDATE` on the row on PostgreSQL, a write transaction on SQLite — until the attempts are
waiting for it, then lets them go."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.compliance_helpers import import_calls, setup_debt
from tests.conftest import DB_KIND, FreshDatabases
from tests.live_server import live_server

NOON = {"X-Arrears-Now": "2026-04-07T16:00:00Z"}


async def _until_waiting(holder: AsyncConnection, attempts: asyncio.Future[object]) -> None:
    """Until at least 20 attempts wait for the lock the holder keeps (the rest queue for the
    workers' pool connections, 2 × 20)."""
    if DB_KIND != "postgres":
        await asyncio.sleep(1.0)  # SQLite shows no waiters; its writers queue on the busy timeout
        return
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    for _ in range(500):
        assert not attempts.done()
        # Statistics are read once per transaction unless the snapshot is cleared.
        await holder.execute(text("SELECT pg_stat_clear_snapshot()"))
        if (await holder.scalar(waiting) or 0) >= 20:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the attempts never queued on the debtor's lock")


async def test_fifty_concurrent_attempts_on_a_real_server(fresh_databases: FreshDatabases) -> None:
    url = await fresh_databases.create()
    await fresh_databases.migrate(url)
    workers = 2 if DB_KIND == "postgres" else 1
    async with live_server(url, workers=workers) as base:
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            d = await setup_debt(http)
            await import_calls(
                http, d["lender_h"], d["debt_id"], [f"2026-04-0{i}T15:00:00Z" for i in range(1, 7)]
            )
            target = f"/v1/debts/{d['debt_id']}/contacts"
            engine = create_async_engine(url)
            try:
                async with engine.connect() as holder:
                    if DB_KIND == "postgres":
                        await holder.execute(
                            text("SELECT id FROM debtors WHERE id = :id FOR UPDATE"),
                            {"id": uuid.UUID(d["debtor_id"])},
                        )
                    else:
                        await holder.exec_driver_sql("BEGIN IMMEDIATE")
                    attempts = asyncio.gather(
                        *(
                            http.post(
                                target, json={"channel": "phone"}, headers={**d["agent_h"], **NOON}
                            )
                            for _ in range(50)
                        )
                    )
                    await _until_waiting(holder, attempts)
                    await holder.rollback()
                responses = await attempts
            finally:
                await engine.dispose()
            statuses = [r.status_code for r in responses]
            assert statuses.count(201) == 1 and statuses.count(409) == 49, statuses
            for r in responses:
                if r.status_code == 409:
                    assert [x["code"] for x in r.json()["reasons"]] == ["REGF_7_CALLS_IN_7_DAYS"]
            decisions = await http.get(
                "/v1/compliance/decisions",
                params={"debt_id": d["debt_id"], "limit": 500},
                headers=d["lender_h"],
            )
            verdicts = [x["decision"] for x in decisions.json()["items"]]
            assert len(verdicts) == 50 and verdicts.count("allow") == 1
            contacts = await http.get(target, headers=d["lender_h"])
            live = [c for c in contacts.json()["items"] if c["source"] == "live"]
            assert len(live) == 1
