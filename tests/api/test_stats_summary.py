"""The trigger-kept portfolio summary equals a direct aggregate of `debts` after any mix of writes."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core.background import run_sweeps
from tests.conftest import DB_KIND
from tests.debts_helpers import debt_item
from tests.helpers import bearer, create_key, create_lender

NOW = {"X-Arrears-Now": "2026-03-01T12:00:00Z"}
KEY = "lender_id, status, product, currency, due_date"
DIRECT = (
    f"SELECT {KEY}, count(*), sum(balance_minor), sum(principal_minor), sum(fees_minor) "
    f"FROM debts GROUP BY {KEY}"
)
# A key's shards summed (migration 0012): only the sum over a key is meaningful.
SUMMED = (
    f"SELECT {KEY}, sum(debts) AS debts, sum(balance_minor) AS balance_minor, "
    "sum(principal_minor) AS principal_minor, sum(fees_minor) AS fees_minor "
    f"FROM debt_portfolio_summary GROUP BY {KEY}"
)
SUMMARY = f"SELECT * FROM ({SUMMED}) AS k WHERE debts <> 0"


def _text(value: Any) -> str:
    # sum() of a bigint is a numeric on PostgreSQL: compare it as an integer.
    return str(int(value)) if isinstance(value, Decimal) else str(value)


async def _rows(app: FastAPI, sql: str) -> set[tuple[str, ...]]:
    async with app.state.engine.connect() as conn:
        return {tuple(_text(v) for v in row) for row in (await conn.execute(text(sql))).all()}


async def assert_summary_exact(app: FastAPI) -> set[tuple[str, ...]]:
    """Summary keys (debts <> 0) equal the GROUP BY over debts; emptied keys are all zeros."""
    direct = await _rows(app, DIRECT)
    assert await _rows(app, SUMMARY) == direct
    leftovers = await _rows(
        app,
        f"SELECT debts FROM ({SUMMED}) AS k WHERE debts = 0 AND (balance_minor <> 0 "
        "OR principal_minor <> 0 OR fees_minor <> 0)",
    )
    assert leftovers == set()
    return direct


async def _sql(app: FastAPI, sql: str, **params: Any) -> int:
    async with app.state.engine.begin() as conn:
        return int((await conn.execute(text(sql), params)).rowcount)


async def _lender(client: httpx.AsyncClient, code: str) -> tuple[str, dict[str, str]]:
    lender = await create_lender(client, code)
    key = await create_key(client, "lender", lender_id=lender["id"])
    return str(lender["id"]), {**bearer(key["key"]), **NOW}


async def _batch(client: httpx.AsyncClient, headers: dict[str, str], items: list[Any]) -> Any:
    response = await client.post("/v1/debts/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["rejected"] == 0, response.text
    return response.json()


def _items(prefix: str, n: int, **overrides: Any) -> list[dict[str, Any]]:
    products = ["credit_card", "personal_loan", "bnpl"]
    dues = ["2026-01-15", "2026-02-01", "2025-11-30"]
    return [
        debt_item(
            f"{prefix}-{i}",
            debtor_ref=f"{prefix}-P-{i % 4}",
            product=products[i % 3],
            due_date=dues[i % 3 if i % 2 else 0],
            balance_minor=1_000 * (i + 1),
            principal_minor=900 * (i + 1),
            fees_minor=10 * i,
            **overrides,
        )
        for i in range(n)
    ]


async def test_summary_follows_every_write_path(client: httpx.AsyncClient, app: FastAPI) -> None:
    acme, acme_headers = await _lender(client, "acme")
    beta, beta_headers = await _lender(client, "beta")
    # Batch ingestion: new debts, then the same refs re-posted with other amounts and dates.
    created = await _batch(client, acme_headers, _items("A", 12))
    assert created["counts"]["created"] == 12
    await _batch(client, beta_headers, _items("B", 5, currency="EUR"))
    changed = _items("A", 6)
    for item in changed:
        item["balance_minor"] += 55
        item["due_date"] = "2026-02-14"
    assert (await _batch(client, acme_headers, changed))["counts"]["updated"] == 6
    before = await assert_summary_exact(app)
    assert sum(int(row[5]) for row in before) == 17
    ids = {r["external_ref"]: r["id"] for r in created["results"]}
    # One debt through the single-debt endpoint, then a status change by PATCH.
    single = await client.post("/v1/debts", json=debt_item("A-x"), headers=acme_headers)
    assert single.status_code == 201, single.text
    patched = await client.patch(
        f"/v1/debts/{ids['A-7']}", json={"status": "recalled"}, headers=acme_headers
    )
    assert patched.status_code == 200, patched.text
    # Payments: one partial, one in full (the debt becomes `paid`, balance and fees 0).
    for ref, amount in (("A-8", 2_000), ("A-9", 10_000 + 90)):
        body = {
            "amount_minor": amount,
            "currency": "USD",
            "paid_at": "2026-03-01T09:00:00Z",
            "external_ref": f"pay-{ref}",
        }
        paid = await client.post(f"/v1/debts/{ids[ref]}/payments", json=body, headers=acme_headers)
        assert paid.status_code == 201, paid.text
    state = (await client.get(f"/v1/debts/{ids['A-9']}", headers=acme_headers)).json()
    assert state["status"] == "paid"
    await assert_summary_exact(app)
    # Raw SQL: a multi-row UPDATE that swaps statuses both ways in one statement, a no-op update,
    # a move of due dates, and a DELETE.
    swapped = await _sql(
        app,
        "UPDATE debts SET status = CASE WHEN status = 'active' THEN 'disputed' ELSE 'active' END, "
        "fees_minor = fees_minor + 3 WHERE external_ref IN ('A-1', 'A-2', 'A-7', 'A-10')",
    )
    assert swapped == 4
    await _sql(app, "UPDATE debts SET group_key = 'g' WHERE external_ref LIKE 'A-%'")
    await _sql(app, "UPDATE debts SET due_date = '2026-02-28' WHERE external_ref LIKE 'B-%'")
    assert await _sql(app, "DELETE FROM debts WHERE external_ref IN ('A-3', 'A-4', 'B-0')") == 3
    after = await assert_summary_exact(app)
    assert sum(int(row[5]) for row in after) == 18 - 3
    assert {row[4] for row in after if row[0].replace("-", "") == beta.replace("-", "")} == {
        "2026-02-28"
    }
    # Deleting a lender cascades to its debts and its summary rows, and nothing else moves.
    await _sql(app, "DELETE FROM lenders WHERE id = :id", id=_uuid_param(beta))
    remaining = await assert_summary_exact(app)
    assert remaining == {row for row in after if row[0].replace("-", "") == acme.replace("-", "")}


def _uuid_param(value: str) -> Any:
    import uuid

    # SQLite stores UUIDs as 32 hex characters; PostgreSQL takes a uuid.
    return uuid.UUID(value).hex if DB_KIND == "sqlite" else uuid.UUID(value)


async def test_the_endpoint_reads_what_the_summary_holds(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, headers = await _lender(client, "acme")
    await _batch(client, headers, _items("A", 6))
    # A raw SQL write is counted by the next read, like an API write.
    await _sql(app, "UPDATE debts SET balance_minor = 1 WHERE external_ref = 'A-0'")
    response = await client.get("/v1/stats/portfolio", headers=headers)
    assert response.status_code == 200, response.text
    total = response.json()["total"]
    assert total["count"] == 6
    expected = 1 + sum(1_000 * (i + 1) for i in range(1, 6))
    assert total["amounts"][0]["balance_minor"] == expected


def _new(prefix: str, due: str) -> list[dict[str, Any]]:
    return [debt_item(f"{prefix}-{i}", debtor_ref="P", due_date=due) for i in range(5)]


def _updated(items: list[dict[str, Any]], r: int) -> list[dict[str, Any]]:
    return [{**item, "balance_minor": 5_000 + r} for item in items]


async def test_concurrent_batches_of_one_lender_keep_the_summary_exact(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, headers = await _lender(client, "acme")
    january = [debt_item(f"J-{i}", debtor_ref="P", due_date="2026-01-01") for i in range(10)]
    february = [debt_item(f"F-{i}", debtor_ref="P", due_date="2026-02-01") for i in range(10)]
    await _batch(client, headers, january + february)
    for r in range(4):
        # Crossed keys: one batch creates January debts and updates February ones, the other the
        # reverse; two more are identical. All four run at once.
        identical = _new(f"I{r}", "2025-12-01")
        results = await asyncio.gather(
            _batch(client, headers, _new(f"NJ{r}", "2026-01-01") + _updated(february, r)),
            _batch(client, headers, _new(f"NF{r}", "2026-02-01") + _updated(january, r)),
            _batch(client, headers, identical),
            _batch(client, headers, identical),
        )
        assert sum(res["counts"]["created"] for res in results) == 15
        assert sum(res["counts"]["updated"] for res in results) == 20
    direct = await assert_summary_exact(app)
    assert sum(int(row[5]) for row in direct) == 20 + 4 * 15
    assert {(row[4], row[6]) for row in direct if row[4] != "2025-12-01"} == {
        ("2026-01-01", str(10 * 5_003 + 20 * 120_000)),
        ("2026-02-01", str(10 * 5_003 + 20 * 120_000)),
    }


_INSERT_DEBT = (
    "INSERT INTO debts (id, lender_id, external_ref, debtor_id, product, currency, "
    "principal_minor, balance_minor, fees_minor, credit_minor, due_date, status, "
    "escalation_level, compliance_profiles, broken_plans, created_at, updated_at) "
    "SELECT gen_random_uuid(), lender_id, :ref, debtor_id, product, currency, 100, :balance, 0, 0, "
    "due_date, status, 'collector', '[]', 0, now(), now() FROM debts WHERE external_ref = 'K-0'"
)


async def _connections_on_two_shards(app: FastAPI) -> tuple[Any, Any, list[Any]]:
    """Two open connections whose backends write different shards other than 0 (pid % 8)."""
    opened = []
    by_shard: dict[int, Any] = {}
    while len([shard for shard in by_shard if shard != 0]) < 2:
        conn = await app.state.engine.connect()
        opened.append(conn)
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await conn.commit()
        by_shard.setdefault(pid % 8, conn)
    first, second = [conn for shard, conn in by_shard.items() if shard != 0][:2]
    return first, second, opened


@pytest.mark.skipif(DB_KIND != "postgres", reason="PostgreSQL's row locks and backends")
async def test_writers_of_one_key_on_two_connections_do_not_wait_for_each_other(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Two transactions insert debts of one (lender, status, product, currency, due date).

    With one summary row per key, the second waited for the first to commit (here: the lock
    timeout). With a shard per writer, it goes through at once, and the summed summary is exact
    once both commit."""
    _, headers = await _lender(client, "acme")
    await _batch(client, headers, [debt_item("K-0", due_date="2026-01-15")])
    first, second, opened = await _connections_on_two_shards(app)
    try:
        await first.begin()
        await first.execute(text(_INSERT_DEBT), {"ref": "K-1", "balance": 10})
        await second.begin()
        await second.execute(text("SET LOCAL lock_timeout = '2s'"))
        await second.execute(text(_INSERT_DEBT), {"ref": "K-2", "balance": 20})  # no wait
        await second.commit()
        await first.commit()
    finally:
        for conn in opened:
            await conn.close()
    direct = await assert_summary_exact(app)
    assert [(row[5], row[6]) for row in direct] == [("3", str(120_000 + 10 + 20))]
    shards = await _rows(app, "SELECT DISTINCT shard FROM debt_portfolio_summary")
    assert len(shards) >= 2
    response = await client.get("/v1/stats/portfolio", headers=headers)
    assert response.json()["total"]["count"] == 3


@pytest.mark.skipif(DB_KIND != "postgres", reason="shards other than 0 are PostgreSQL's")
async def test_the_sweep_folds_shards_into_shard_zero_and_skips_rows_a_writer_holds(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, headers = await _lender(client, "acme")
    await _batch(client, headers, [debt_item("K-0", due_date="2026-01-15")])
    first, second, opened = await _connections_on_two_shards(app)
    try:
        for conn, ref in ((first, "K-1"), (second, "K-2")):
            async with conn.begin():
                await conn.execute(text(_INSERT_DEBT), {"ref": ref, "balance": 7})
        before = await assert_summary_exact(app)
        shards = await _rows(app, "SELECT shard FROM debt_portfolio_summary WHERE shard <> 0")
        assert len(shards) >= 2  # the two connections' shards, and maybe the API's
        # A writer holds its shard's row: the fold skips it and folds the rest.
        await first.begin()
        await first.execute(text(_INSERT_DEBT), {"ref": "K-3", "balance": 5})
        held = (await first.execute(text("SELECT pg_backend_pid() % 8"))).scalar_one()
        result = await run_sweeps(app.state.sessionmaker)
        left = await _rows(app, "SELECT shard FROM debt_portfolio_summary WHERE shard <> 0")
        assert left == {(str(held),)}
        assert result["portfolio_summary_folded"] == len(shards) - 1
        await first.commit()
    finally:
        for conn in opened:
            await conn.close()
    await run_sweeps(app.state.sessionmaker)
    assert await _rows(app, "SELECT DISTINCT shard FROM debt_portfolio_summary") == {("0",)}
    after = await assert_summary_exact(app)
    assert [(row[5], row[6]) for row in after] == [("4", str(120_000 + 7 + 7 + 5))]
    assert [(row[5], row[6]) for row in before] == [("3", str(120_000 + 7 + 7))]
