"""Two replicas (two `arrears serve` processes, one worker each) on one PostgreSQL database:
the contact-concurrency and the idempotency guarantees hold across them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from tests.compliance_helpers import import_calls, setup_debt
from tests.conftest import DB_KIND, FreshDatabases
from tests.e2e.fault_helpers import counts
from tests.live_server import live_process

pytestmark = pytest.mark.skipif(
    DB_KIND != "postgres", reason="replicas share a PostgreSQL database"
)

NOON = {"X-Arrears-Now": "2026-04-07T16:00:00Z"}


@asynccontextmanager
async def _two_replicas(url: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        servers = await asyncio.gather(
            stack.enter_async_context(live_process(url)),
            stack.enter_async_context(live_process(url)),
        )
        assert servers[0].pid != servers[1].pid
        limits = httpx.Limits(max_connections=40)
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=s.base, timeout=60, limits=limits)
            )
            for s in servers
        ]
        yield clients


async def test_contact_slot_and_idempotency_key_across_two_replicas(
    fresh_databases: FreshDatabases,
) -> None:
    url = await fresh_databases.create()
    await fresh_databases.migrate(url)
    async with _two_replicas(url) as (a, b):
        d = await setup_debt(a)
        # Six calls in the last seven days: Reg F leaves one.
        await import_calls(
            b, d["lender_h"], d["debt_id"], [f"2026-04-0{i}T15:00:00Z" for i in range(1, 7)]
        )
        target = f"/v1/debts/{d['debt_id']}/contacts"
        headers = {**d["agent_h"], **NOON}
        responses = await asyncio.gather(
            *(
                (a if n % 2 else b).post(target, json={"channel": "phone"}, headers=headers)
                for n in range(50)
            )
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: 49}, statuses
        for r in responses:
            if r.status_code == 409:
                assert [x["code"] for x in r.json()["reasons"]] == ["REGF_7_CALLS_IN_7_DAYS"]
        by_replica = Counter(
            (n % 2, r.status_code) for n, r in enumerate(responses) if r.status_code == 409
        )
        assert by_replica[(0, 409)] and by_replica[(1, 409)], "both replicas answered"

        # A second debt with slots to spare: one Idempotency-Key sent 20 times at once.
        second = await setup_debt(a, code="beta")
        keyed = {**second["agent_h"], **NOON, "Idempotency-Key": "contact-once"}
        url_2 = f"/v1/debts/{second['debt_id']}/contacts"
        body = {"channel": "phone", "outcome": "no_answer"}
        answers = await asyncio.gather(
            *((a if n % 2 else b).post(url_2, json=body, headers=keyed) for n in range(20))
        )
        codes = Counter(r.status_code for r in answers)
        assert set(codes) <= {201, 409} and codes[201] >= 1, codes
        ids = {r.json()["id"] for r in answers if r.status_code == 201}
        assert len(ids) == 1, ids
        for r in answers:
            if r.status_code == 409:  # only "in flight", never a second execution
                assert r.json()["type"] == "urn:arrears:problem:idempotency-in-flight", r.text
                assert r.headers["retry-after"]
        for client in (a, b):  # after the fact, either replica replays the one outcome
            again = await client.post(url_2, json=body, headers=keyed)
            assert again.status_code == 201, again.text
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json()["id"] in ids
    found = await counts(
        url,
        live_first=f"SELECT count(*) FROM contacts WHERE debt_id = '{d['debt_id']}' "
        "AND source = 'live'",
        live_second=f"SELECT count(*) FROM contacts WHERE debt_id = '{second['debt_id']}'",
        decisions_second="SELECT count(*) FROM compliance_decisions "
        f"WHERE debt_id = '{second['debt_id']}'",
        keys="SELECT count(*) FROM idempotency_keys WHERE key = 'contact-once'",
    )
    assert found == {"live_first": 1, "live_second": 1, "decisions_second": 1, "keys": 1}
