"""Run the benchmark: `python -m bench.run [--quick] [--scenario NAME ...] [--baseline-only]`.

The full run (no --quick, no --scenario) ends with the mixed load of `bench.mixed`.

Starts PostgreSQL databases, the baseline and Arrears with the same uvicorn settings, seeds, drives
each scenario with wrk on both sides (warm-up first, then alternating rounds), prints the ratio
table and writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import signal
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import callable as callable_mod
from bench import ingest as ingest_mod
from bench import report, seed
from bench import stats as stats_mod
from bench.scenarios import SCENARIOS, Req, Scenario, by_name
from bench.stack import ARREARS_DB, RESULTS, Stack, dsn_for, ensure_postgres
from bench.wrk import Load, WrkResult, ensure_wrk, run_wrk, wrk_version


@dataclass(frozen=True)
class Settings:
    quick: bool
    workers: int
    threads: int
    connections: int
    duration_s: float
    warmup_s: float
    rounds: int
    pool_debts: int
    ingest_debts: int
    ingest_concurrency: int
    ingest_max_seconds: float


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    names = [s.name for s in SCENARIOS] + ["ingest", "callable", "stats"]
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--quick", action="store_true", help="short smoke run (< 3 minutes)")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME", help=str(names))
    p.add_argument("--baseline-only", action="store_true", help="do not start Arrears")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--workers", type=int, help="uvicorn workers on each side (default 2)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--duration", type=float, help="seconds per measured run (10; quick 5)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per side (3; quick 1)")
    p.add_argument("--rounds", type=int, help="measured rounds per side, alternating (3; quick 1)")
    p.add_argument("--pool-debts", type=int, help="debts seeded per side (2000; quick 1000)")
    p.add_argument("--ingest-debts", type=int, help="debts ingested (100000; quick 5000)")
    p.add_argument("--ingest-concurrency", type=int, default=4, help="batches in flight")
    p.add_argument(
        "--ingest-max-seconds", type=float, help="per side; no batch starts later (600; quick 30)"
    )
    p.add_argument("--callable-debts", type=int, help="debts in the call list (100000; quick 5000)")
    p.add_argument("--stats-debts", type=int, help="debts for the stats bench (1e6; quick 20000)")
    p.add_argument("--stats-contacts", type=int, help="contacts for it (5e6; quick 100000)")
    p.add_argument(
        "--arrears-env", action="append", default=[], metavar="KEY=VALUE", help="extra env"
    )
    args = p.parse_args(argv)
    q = args.quick
    settings = Settings(
        quick=q,
        workers=args.workers or 2,
        threads=args.threads,
        connections=args.connections,
        duration_s=args.duration or (5.0 if q else 10.0),
        warmup_s=args.warmup if args.warmup is not None else (1.0 if q else 3.0),
        rounds=args.rounds or (1 if q else 3),
        pool_debts=args.pool_debts or (1000 if q else 2000),
        ingest_debts=args.ingest_debts
        if args.ingest_debts is not None
        else (5_000 if q else 100_000),
        ingest_concurrency=args.ingest_concurrency,
        ingest_max_seconds=args.ingest_max_seconds or (30.0 if q else 600.0),
    )
    unknown = [n for n in args.scenario if n not in names]
    if unknown:
        p.error(f"unknown scenario(s) {unknown}; known: {names}")
    return args, settings


def write_requests(name: str, side: str, requests: list[Req]) -> Path:
    path = RESULTS / f"requests-{name}-{side}.tsv"
    path.write_text("".join(f"{m}\t{target}\t{body}\n" for m, target, body in requests))
    return path


async def smoke(
    url: str, request: Req, bearer: str | None, check: Callable[[Any], str | None] | None = None
) -> str | None:
    """None when one request of the scenario answers 2xx (and passes `check`), else the problem."""
    method, target, body = request
    body = body.replace("{{seq}}", "smoke")
    headers = {"Content-Type": "application/json"} if body else {}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.request(method, target, content=body or None, headers=headers)
    if not 200 <= response.status_code < 300:
        return f"{method} {target} -> {response.status_code}: {response.text[:300]}"
    if check is not None and (problem := check(response.json())):
        return f"{method} {target} -> {response.status_code} but {problem}"
    return None


def summarise(runs: list[WrkResult]) -> dict[str, Any]:
    seconds = sum(r.duration_s for r in runs)
    return {
        "rps": sum(r.requests for r in runs) / seconds if seconds else 0.0,
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "status_errors": sum(r.status_errors for r in runs),
        "socket_errors": sum(r.socket_errors for r in runs),
        "requests": sum(r.requests for r in runs),
        "runs": [asdict(r) | {"rps": r.rps} for r in runs],
    }


async def bearer_for(scenario: Scenario, ctx: seed.SeedContext) -> str | None:
    if scenario.auth == "lender":
        return (await seed.lender(ctx))["key"]
    if scenario.auth == "agent":
        return (await seed.agent(ctx))["key"]
    return None


Side = tuple[str, str, Path, str | None]  # name, base URL, requests file, bearer key


async def arrears_side(scenario: Scenario, url: str, ctx: seed.SeedContext) -> Side | str:
    """Seed, write the requests and check one of them; the side, or what went wrong."""
    try:
        if scenario.seed is not None:
            await scenario.seed(ctx)
        bearer = await bearer_for(scenario, ctx)
    except (seed.SeedError, httpx.HTTPError, KeyError) as exc:
        return f"seeding failed: {exc}"
    requests = scenario.arrears_requests(ctx)
    path = write_requests(scenario.name, "arrears", requests)
    if problem := await smoke(url, requests[0], bearer, scenario.check):
        return f"arrears smoke request: {problem}"
    return ("arrears", url, path, bearer)


async def run_scenario(
    scenario: Scenario,
    settings: Settings,
    wrk: str,
    stack: Stack,
    ctx: seed.SeedContext | None,
    openapi_paths: dict[str, Any] | None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": scenario.name,
        "summary": scenario.summary,
        "arrears_endpoint": f"{scenario.arrears_method} {scenario.arrears_path}",
        "baseline_endpoint": scenario.baseline_endpoint,
        "target": scenario.target,
        "issue": scenario.issue,
    }
    assert stack.baseline is not None
    sides: list[Side] = []
    if ctx is not None and stack.arrears is not None:
        if openapi_paths is not None and not scenario.available(openapi_paths):
            reason = f"{result['arrears_endpoint']} is not in Arrears' openapi.json yet"
            return result | {"status": "skipped", "reason": reason}
        side = await arrears_side(scenario, stack.arrears.url, ctx)
        if isinstance(side, str):
            return result | {"status": "error", "reason": side}
        sides.append(side)
    base_requests = scenario.baseline_requests(stack.baseline_debts)
    base_file = write_requests(scenario.name, "baseline", base_requests)
    sides.append(("baseline", stack.baseline.url, base_file, None))
    if problem := await smoke(stack.baseline.url, base_requests[0], None):
        return result | {"status": "error", "reason": f"baseline smoke request: {problem}"}

    try:
        runs = await measure(sides, settings, wrk)
    except RuntimeError as exc:  # wrk failed (e.g. a server died): report, go on with the rest
        return result | {"status": "error", "reason": str(exc)[:500]}
    for name, side_runs in runs.items():
        result[name] = summarise(side_runs)
    if sides[0][0] == "arrears":
        # The path must still be the intended one after the load (e.g. no cap reached meanwhile).
        _, url, path, bearer = sides[0]
        last = path.read_text().splitlines()[-1].split("\t", 2)
        request = (last[0], last[1], last[2] if len(last) > 2 else "")
        if problem := await smoke(url, request, bearer, scenario.check):
            result["after_check"] = problem
    if "arrears" in result and result["baseline"]["rps"]:
        result["ratio"] = result["arrears"]["rps"] / result["baseline"]["rps"]
    return result | {"status": "ok"}


async def measure(sides: list[Side], settings: Settings, wrk: str) -> dict[str, list[WrkResult]]:
    """Warm every side up, then run the rounds in alternating order (A B, B A, ...)."""
    load = Load(settings.threads, settings.connections, settings.duration_s)
    if settings.warmup_s > 0:
        warm = Load(settings.threads, settings.connections, settings.warmup_s)
        for _, url, path, bearer in sides:
            await run_wrk(wrk, url, path, warm, bearer=bearer)
    runs: dict[str, list[WrkResult]] = {side[0]: [] for side in sides}
    for round_no in range(settings.rounds):
        order = sides if round_no % 2 == 0 else list(reversed(sides))
        for name, url, path, bearer in order:
            runs[name].append(await run_wrk(wrk, url, path, load, bearer=bearer))
    return runs


async def openapi_of(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.get("/openapi.json")
        response.raise_for_status()
        return dict(response.json())


async def postgres_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def amain(args: argparse.Namespace, settings: Settings, stack: Stack) -> dict[str, Any]:
    wrk = ensure_wrk()
    await ensure_postgres()
    selected = [n for n in args.scenario if n not in ("ingest", "callable", "stats")]
    scenarios = by_name(selected) if args.scenario else list(SCENARIOS)
    run_ingest = not args.scenario or "ingest" in args.scenario
    run_stats = not args.scenario or "stats" in args.scenario
    run_call_list = not args.scenario or "callable" in args.scenario
    started = dt.datetime.now(dt.UTC)
    print(f"starting baseline ({settings.workers} workers) ...", flush=True)
    await stack.start_baseline()
    ctx = None
    paths: dict[str, Any] | None = None
    client: httpx.AsyncClient | None = None
    if not args.baseline_only:
        print(f"migrating and starting Arrears ({settings.workers} workers) ...", flush=True)
        arrears = await stack.start_arrears()
        openapi = await openapi_of(arrears.url)
        paths = dict(openapi.get("paths", {}))
        client = httpx.AsyncClient(base_url=arrears.url, timeout=120)
        ctx = seed.SeedContext(client, stack.admin_key, settings.pool_debts, openapi)
    try:
        results = []
        for scenario in scenarios:
            print(f"scenario {scenario.name} ...", flush=True)
            results.append(await run_scenario(scenario, settings, wrk, stack, ctx, paths))
        ingest_result = None
        if run_ingest and settings.ingest_debts > 0:
            print(f"ingest of {settings.ingest_debts:,} debts ...", flush=True)
            ingest_result = await ingest_mod.run_ingest(
                stack,
                ctx,
                paths,
                debts=settings.ingest_debts,
                concurrency=settings.ingest_concurrency,
                max_seconds=settings.ingest_max_seconds,
            )
        callable_result = None
        if run_call_list and ctx is not None and stack.arrears is not None:
            callable_result = await _callable(args, settings, stack, paths)
        stats_result = None
        if run_stats and ctx is not None and stack.arrears is not None:
            stats_result = await _stats(args, settings, stack, paths)
    finally:
        if client is not None:
            await client.aclose()
    return {
        "date": started.isoformat(timespec="seconds"),
        "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        "machine": report.machine_info(
            await postgres_version(stack.baseline_dsn), wrk_version(wrk)
        ),
        "settings": asdict(settings) | {"baseline_only": args.baseline_only},
        "debtor_timezone": ctx.cache.get("debtor_timezone") if ctx else None,
        "scenarios": results,
        "ingest": ingest_result,
        "callable": callable_result,
        "stats": stats_result,
    }


async def _callable(
    args: argparse.Namespace, settings: Settings, stack: Stack, paths: dict[str, Any] | None
) -> dict[str, Any]:
    """The call list over a SQL-seeded portfolio (bench/callable.py) on the run's database."""
    if paths is not None and "/v1/compliance/callable" not in paths:
        return {
            "status": "skipped",
            "reason": "POST /v1/compliance/callable is not in openapi.json",
        }
    debts = args.callable_debts or (5_000 if settings.quick else 100_000)
    print(f"call list of {debts:,} debts ...", flush=True)
    assert stack.arrears is not None
    try:
        result = await callable_mod.run_callable(
            stack.arrears.url, stack.admin_key, debts=debts, rounds=2 if settings.quick else 3
        )
    except (RuntimeError, httpx.HTTPError, asyncpg.PostgresError) as exc:
        return {"status": "error", "reason": str(exc)[:500]}
    print(callable_mod.summary(result), flush=True)
    return result | {"status": "ok"}


async def _stats(
    args: argparse.Namespace, settings: Settings, stack: Stack, paths: dict[str, Any] | None
) -> dict[str, Any]:
    """The statistics comparison (bench/stats.py) on the run's Arrears database."""
    if paths is not None and not stats_mod.ROUTE.available(paths):
        return {"status": "skipped", "reason": "GET /v1/stats/portfolio is not in openapi.json yet"}
    debts = args.stats_debts or (20_000 if settings.quick else 1_000_000)
    contacts = args.stats_contacts or (100_000 if settings.quick else 5_000_000)
    print(f"stats on {debts:,} debts and {contacts:,} contacts ...", flush=True)
    assert stack.arrears is not None
    try:
        result = await stats_mod.run_stats(
            stack.arrears.url, stack.admin_key, dsn_for(ARREARS_DB), debts=debts,
            contacts=contacts, repeat=5 if settings.quick else 15,
        )  # fmt: skip
    except (RuntimeError, httpx.HTTPError, asyncpg.PostgresError) as exc:
        return {"status": "error", "reason": str(exc)[:500]}
    return result | {"status": "ok"}


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args, settings = parse_args(argv)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:<14} {s.arrears_method} {s.arrears_path}  vs  {s.baseline_endpoint}")
        print(f"{'ingest':<14} POST /v1/debts/batch  vs  POST /batch-copy and raw COPY")
        print(
            f"{'callable':<14} POST /v1/compliance/callable over N SQL-seeded debts (target < 5 s)"
        )
        print(f"{'stats':<14} GET /v1/stats/portfolio, /contacts  vs  hand-written SQL (asyncpg)")
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    env = dict(item.split("=", 1) for item in args.arrears_env)
    stack = Stack(workers=settings.workers, baseline_debts=settings.pool_debts, arrears_env=env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    try:
        outcome = asyncio.run(amain(args, settings, stack))
    except KeyboardInterrupt:
        print("interrupted: stopping servers", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.close()
    text = json.dumps(outcome, indent=2)
    (RESULTS / "latest.json").write_text(text + "\n")
    stamp = outcome["date"].replace(":", "").replace("-", "")
    (RESULTS / f"run-{stamp}.json").write_text(text + "\n")
    print()
    print(report.table(outcome["scenarios"]))
    if outcome["ingest"]:
        print()
        print(report.ingest_table(outcome["ingest"]))
    if outcome["stats"]:
        print()
        stats = outcome["stats"]
        print(stats_mod.table(stats) if stats["status"] == "ok" else f"stats: {stats}")
    call_list = outcome.get("callable")
    if call_list:
        print()
        ok = call_list["status"] == "ok"
        print(callable_mod.summary(call_list) if ok else f"callable: {call_list}")
    print(f"\nratio = Arrears req/s / baseline req/s, same run; written {RESULTS / 'latest.json'}")
    if not settings.quick and not args.scenario and not args.baseline_only:
        from bench import mixed  # the full bench only: two 60 s runs

        print("\nmixed load: python -m bench.mixed --seconds 60")
        if mixed.main(["--seconds", "60"]) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
