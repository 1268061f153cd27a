"""Batch ingestion: Arrears `POST /v1/debts/batch` vs the baseline `POST /batch-copy` vs raw COPY.

The same N debts (default 100,000) in the same batches of 1,000 go, in one run, to
- Arrears `POST /v1/debts/batch` with a lender key (skipped while the route does not exist),
- the baseline `POST /batch-copy` (pydantic validation + `copy_records_to_table`),
- raw asyncpg `copy_records_to_table` from the in-memory items (no HTTP, no validation),
each with the same number of batches in flight, and then Arrears' database floor
(`bench.ingest_floor`: the rows Arrears writes for the same batches, built beforehand, written
with its own statements; with the database server's CPU time per row). Reports rows/s and the
ratios.

Standalone: `python -m bench.ingest [--debts N] [--baseline-only]` starts its own servers;
`python -m bench.run` calls `run_ingest` with the servers it already runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import orjson

from bench import baseline_db, ingest_floor, seed
from bench.items import debt_item
from bench.scenarios import Scenario
from bench.stack import RESULTS, Stack, ensure_postgres

BATCH = 1000
ROUTE = Scenario(
    name="ingest",
    summary="batch upsert of debts",
    arrears_method="POST",
    arrears_path="/v1/debts/batch",
    baseline_endpoint="POST /batch-copy",
    auth="lender",
    arrears_requests=lambda ctx: [],
    baseline_requests=lambda n: [],
    target=0.4,
    issue=4,
)


def make_batches(debts: int, prefix: str) -> list[list[dict[str, Any]]]:
    items = [debt_item(i, prefix=prefix, seed=7) for i in range(debts)]
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


async def _timed(
    jobs: list[Callable[[], Awaitable[int]]], concurrency: int, max_seconds: float
) -> tuple[float, int, list[str], int]:
    """Run jobs with `concurrency` in flight, starting none after `max_seconds`.

    Returns (seconds, rows, errors, jobs not started).
    """
    queue = list(reversed(jobs))
    rows = 0
    errors: list[str] = []
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal rows
        while queue and time.perf_counter() < deadline:
            job = queue.pop()
            try:
                done = await job()  # not `rows += await ...`: that reads rows before awaiting
                rows += done
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the run
                errors.append(str(exc)[:300])

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, rows, errors, len(queue)


def _post_job(
    client: httpx.AsyncClient, path: str, body: bytes, bearer: str | None, count: Callable
) -> Callable[[], Awaitable[int]]:
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"

    async def job() -> int:
        response = await client.post(path, content=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} -> {response.status_code}: {response.text[:200]}")
        return count(response.json())

    return job


def _arrears_count(answer: dict[str, Any]) -> int:
    counts = answer["counts"]
    if counts.get("rejected"):
        first = next(r for r in answer["results"] if r["status"] == "rejected")
        raise RuntimeError(f"{counts['rejected']} rejected, first: {first}")
    return int(counts["created"]) + int(counts["updated"]) + int(counts["unchanged"])


def _figures(seconds: float, rows: int, errors: list[str], not_started: int) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3),
        "rows": rows,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "batches_not_started": not_started,  # > 0: stopped at the time limit, rate still valid
    }


async def _baseline_side(
    stack: Stack,
    batches: list[list[dict[str, Any]]],
    bodies: list[bytes],
    concurrency: int,
    max_seconds: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    assert stack.baseline is not None
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=stack.baseline.url, timeout=120, limits=limits) as c:
        warm = _post_job(c, "/batch-copy", bodies[0], None, lambda a: a["copied"])
        await warm()
        conn = await asyncpg.connect(stack.baseline_dsn)
        await conn.execute("TRUNCATE ingest, ingest_raw")
        await conn.close()
        jobs = [_post_job(c, "/batch-copy", b, None, lambda a: a["copied"]) for b in bodies]
        batch_copy = _figures(*await _timed(jobs, concurrency, max_seconds))

    pool = await asyncpg.create_pool(stack.baseline_dsn, min_size=concurrency, max_size=concurrency)
    try:

        def copy_job(batch: list[dict[str, Any]]) -> Callable[[], Awaitable[int]]:
            async def job() -> int:
                async with pool.acquire() as conn:
                    return await baseline_db.copy_items(conn, "ingest_raw", 1, batch)

            return job

        copies = [copy_job(b) for b in batches]
        raw_copy = _figures(*await _timed(copies, concurrency, max_seconds))
    finally:
        await pool.close()
    return batch_copy, raw_copy


async def _arrears_side(
    ctx: seed.SeedContext, bodies: list[bytes], concurrency: int, max_seconds: float
) -> dict[str, Any]:
    owner = await seed.lender(ctx, "ingest")
    warm = orjson.dumps({"items": make_batches(100, "ingest-warm")[0]})
    await _post_job(ctx.arrears, "/v1/debts/batch", warm, owner["key"], _arrears_count)()
    base_url = str(ctx.arrears.base_url)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=300, limits=limits) as client:
        jobs = [
            _post_job(client, "/v1/debts/batch", b, owner["key"], _arrears_count) for b in bodies
        ]
        return _figures(*await _timed(jobs, concurrency, max_seconds))


async def run_ingest(
    stack: Stack,
    ctx: seed.SeedContext | None,
    openapi_paths: dict[str, Any] | None,
    *,
    debts: int = 100_000,
    concurrency: int = 4,
    max_seconds: float = 600.0,
) -> dict[str, Any]:
    """Ingest `debts` debts on every side; Arrears is skipped when absent or without the route.

    A side still running after `max_seconds` starts no further batch; its rate stands.
    """
    batches = make_batches(debts, "ingest")
    bodies = [orjson.dumps({"items": batch}) for batch in batches]
    result: dict[str, Any] = {
        "status": "ok",
        "debts": debts,
        "batch_size": BATCH,
        "concurrency": concurrency,
        "max_seconds": max_seconds,
        "target": ROUTE.target,
    }
    # Baseline first, Arrears second: each side starts from an empty table of its own.
    result["batch_copy"], result["raw_copy"] = await _baseline_side(
        stack, batches, bodies, concurrency, max_seconds
    )
    if ctx is None:
        result["arrears_reason"] = "Arrears not started (--baseline-only)"
    elif openapi_paths is not None and not ROUTE.available(openapi_paths):
        result["arrears_reason"] = "POST /v1/debts/batch is not in Arrears' openapi.json yet"
    else:
        try:
            result["arrears"] = await _arrears_side(ctx, bodies, concurrency, max_seconds)
            result["db_floor"] = await ingest_floor.run_floor(
                ctx, stack.arrears_db_url, batches, concurrency, _timed, max_seconds
            )
        except (seed.SeedError, httpx.HTTPError, RuntimeError) as exc:
            result["arrears_reason"] = f"failed: {exc}"
    raw, copy = result["raw_copy"]["rows_per_s"], result["batch_copy"]["rows_per_s"]
    ratios = {"batch_copy / raw_copy": copy / raw if raw else 0.0}
    if "arrears" in result:
        got = result["arrears"]["rows_per_s"]
        ratios["arrears / batch_copy"] = got / copy if copy else 0.0
        ratios["arrears / raw_copy"] = got / raw if raw else 0.0
    if "db_floor" in result:
        floor = result["db_floor"]
        ratios["db_floor / batch_copy"] = floor["rows_per_s"] / copy if copy else 0.0
        for bound in ("postgres_cpu_bound", "cpu_bound"):
            if f"{bound}_rows_per_s" in floor:
                rate = floor[f"{bound}_rows_per_s"]
                ratios[f"{bound} / batch_copy"] = rate / copy if copy else 0.0
    result["ratios"] = ratios
    return result


async def _standalone(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    await ensure_postgres()
    await stack.start_baseline()
    if args.baseline_only:
        return await run_ingest(
            stack,
            None,
            None,
            debts=args.debts,
            concurrency=args.concurrency,
            max_seconds=args.max_s,
        )
    arrears = await stack.start_arrears()
    async with httpx.AsyncClient(base_url=arrears.url, timeout=120) as client:
        paths = dict((await client.get("/openapi.json")).json().get("paths", {}))
        ctx = seed.SeedContext(client, stack.admin_key, 0)
        return await run_ingest(
            stack,
            ctx,
            paths,
            debts=args.debts,
            concurrency=args.concurrency,
            max_seconds=args.max_s,
        )


def main(argv: list[str] | None = None) -> int:
    from bench.report import ingest_table

    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    p.add_argument("--debts", type=int, default=100_000)
    p.add_argument("--concurrency", type=int, default=4, help="batches in flight per side")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers on each side")
    p.add_argument("--max-seconds", dest="max_s", type=float, default=600.0, help="per side")
    p.add_argument("--baseline-only", action="store_true")
    args = p.parse_args(argv)
    stack = Stack(workers=args.workers, baseline_debts=1)
    try:
        outcome = asyncio.run(_standalone(args, stack))
    except KeyboardInterrupt:
        return 130
    finally:
        stack.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest-latest.json").write_text(json.dumps(outcome, indent=2) + "\n")
    print(ingest_table(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
