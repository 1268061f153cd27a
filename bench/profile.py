"""Where the time goes: CPU per request of the hot endpoints, in process, on PostgreSQL.

    .venv/bin/python -m bench.profile                      # CPU µs/request per scenario
    .venv/bin/python -m bench.profile --cprofile evaluate  # plus the top functions of one scenario

Runs Arrears in this process (no uvicorn, no sockets: httpx's ASGI transport) against a fresh
`arrears_profile` database, seeds through the HTTP API like the bench, then times N requests per
scenario with `time.process_time()` (CPU of this process only: the database's own work is not in
it, the driver's and the ORM's is). `transport` is the cost of the test client itself (a bare
Starlette ping through the same transport), to subtract when reading the others.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import secrets
import subprocess
import time
from collections.abc import Callable
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench import seed
from bench.seed import SeedContext
from bench.stack import dsn_for, ensure_postgres, recreate_database, venv_bin

DB = "arrears_profile"


def _url() -> str:
    return dsn_for(DB).replace("postgresql://", "postgresql+asyncpg://", 1)


async def _prepare(admin_key: str) -> None:
    await ensure_postgres()
    await recreate_database(DB)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env["ARREARS_DATABASE_URL"] = _url()
    subprocess.run([str(venv_bin("arrears")), "migrate"], env=env, check=True, capture_output=True)


def _ping_app() -> Starlette:
    async def ping(_request: Any) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/ping", ping)])


async def _time(
    client: httpx.AsyncClient, build: Callable[[int], tuple[str, str, Any]], n: int, key: str
) -> float:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    started = time.process_time()
    for i in range(n):
        method, path, body = build(i)
        response = await client.request(method, path, json=body, headers=headers)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
    return (time.process_time() - started) / n * 1e6


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300, help="requests per scenario")
    parser.add_argument("--pool", type=int, default=200, help="debts seeded")
    parser.add_argument("--cprofile", action="append", default=[], help="scenario to profile")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--rounds", type=int, default=3, help="the best round counts")
    args = parser.parse_args(argv)

    from app.core.config import Settings
    from app.main import create_app

    admin_key = secrets.token_urlsafe(36)
    await _prepare(admin_key)
    # The bench's load is one key at full speed: no per-key rate limit where the service has one.
    unlimited = (
        {"rate_limit_per_minute": 0} if "rate_limit_per_minute" in Settings.model_fields else {}
    )
    settings = Settings(
        **unlimited,  # type: ignore[arg-type]
        database_url=_url(),
        bootstrap_admin_key=admin_key,  # type: ignore[arg-type]
        background="off",  # type: ignore[arg-type]
        log_level="INFO",
    )
    app = create_app(settings, run_background=False)
    # The access log goes to stdout like in production; keep it out of the terminal.
    import logging

    devnull = open(os.environ.get("BENCH_PROFILE_LOG", os.devnull), "w")  # noqa: SIM115
    logging.getLogger().handlers[0].setStream(devnull)  # type: ignore[attr-defined]
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's own request lines

    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://arrears") as client:
            ctx = SeedContext(arrears=client, admin_key=admin_key, pool_size=args.pool)
            ctx.openapi = (await client.get("/openapi.json")).json()
            pool = await seed.debt_pool(ctx)
            agent = await seed.agent(ctx)
            owner = await seed.lender(ctx)

            def rot(i: int) -> dict[str, Any]:
                return pool[i % len(pool)]

            scenarios: dict[str, tuple[Callable[[int], tuple[str, str, Any]], str]] = {
                "livez": (lambda i: ("GET", "/livez", None), ""),
                "lender_get": (lambda i: ("GET", f"/v1/lenders/{owner['id']}", None), owner["key"]),
                "debt_get": (lambda i: ("GET", f"/v1/debts/{rot(i)['id']}", None), owner["key"]),
                "evaluate": (
                    lambda i: (
                        "POST",
                        "/v1/compliance/evaluate",
                        {"debt_id": rot(i)["id"], "channel": "email", "to": rot(i)["email"]},
                    ),
                    agent["key"],
                ),
                "contact_post": (
                    lambda i: (
                        "POST",
                        f"/v1/debts/{rot(i)['id']}/contacts",
                        {"channel": "email", "direction": "outbound", "to": rot(i)["email"]},
                    ),
                    agent["key"],
                ),
            }
            results: dict[str, float] = {}
            ping_transport = httpx.ASGITransport(app=_ping_app())
            async with httpx.AsyncClient(transport=ping_transport, base_url="http://p") as ping:
                await _time(ping, lambda i: ("GET", "/ping", None), 50, "")
                results["transport"] = min(
                    [
                        await _time(ping, lambda i: ("GET", "/ping", None), args.n, "")
                        for _ in range(args.rounds)
                    ]
                )
            for name, (build, key) in scenarios.items():
                await _time(client, build, 30, key)  # warm up
                profiler = cProfile.Profile() if name in args.cprofile else None
                if profiler:
                    profiler.enable()
                results[name] = min(
                    [await _time(client, build, args.n, key) for _ in range(args.rounds)]
                )
                if profiler:
                    profiler.disable()
                    print(f"\n=== {name} ===")
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    devnull.close()
    print(json.dumps({k: round(v) for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
