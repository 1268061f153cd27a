"""A mixed load on one real Arrears server on PostgreSQL: zero 5xx and stable memory.

For `--seconds` (default 60), twice in a row, `--concurrency` loopback clients (default 16) mix
reads (`GET /v1/debts/{id}`, the debt list, a debt's contacts), batch writes (50 new debts per
`POST /v1/debts/batch`, each with its own Idempotency-Key), outbound contacts (email, allowed by
the rules at any hour of the run) and signed telecom webhooks (`bill.overdue`, new debts). Every
status is counted; the server's RSS (VmRSS of its one process, `--workers 1`) is read before the
first run, between the runs and after the second. It fails (exit 1) on any 5xx or transport
error, or when the second run grows the RSS by more than max(16 MiB, 10 % of the RSS between the
runs): a leak grows with the work done, and both runs do the same work.

    .venv/bin/python -m bench.mixed [--seconds 60] [--concurrency 16]

Results: bench/results/mixed-latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import orjson
from standardwebhooks import Webhook

from bench import seed
from bench.items import REGF_ONLY_PLACES, debt_item
from bench.stack import (
    HOST,
    REPO,
    RESULTS,
    Server,
    dsn_for,
    ensure_postgres,
    free_port,
    recreate_database,
    start_server,
    venv_bin,
    wait_http_ok,
)

DATABASE = "arrears_bench_mixed"
POOL = 200
BATCH_ITEMS = 50
# Operation mix (weights): reads dominate, as in a collections floor.
MIX = {"read": 55, "batch": 5, "contact": 20, "webhook": 20}
MEMORY_SLACK_BYTES = 16 * 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def start(admin_key: str) -> Server:
    await ensure_postgres()
    await recreate_database(DATABASE)
    url = dsn_for(DATABASE).replace("postgresql://", "postgresql+asyncpg://", 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env.update(
        ARREARS_DATABASE_URL=url,
        ARREARS_BOOTSTRAP_ADMIN_KEY=admin_key,
        ARREARS_LOG_LEVEL="WARNING",
        ARREARS_RATE_LIMIT_PER_MINUTE="0",  # the load is ours; limits are tested elsewhere
    )
    arrears = str(venv_bin("arrears"))
    subprocess.run(
        [arrears, "migrate"], cwd=REPO, env=env, check=True, timeout=180, capture_output=True
    )
    port = free_port()
    cmd = [arrears, "serve", "--host", HOST, "--port", str(port), "--workers", "1"]
    server = start_server("mixed", cmd, env, port)
    await wait_http_ok(server, "/readyz")
    return server


class Load:
    """What the clients share: keys, ids, counters."""

    def __init__(self, http: httpx.AsyncClient, ctx: seed.SeedContext) -> None:
        self.http = http
        self.ctx = ctx
        self.seq = itertools.count()
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.latency_ms: dict[str, list[float]] = defaultdict(list)

    async def prepare(self) -> None:
        self.lender = await seed.lender(self.ctx)
        self.agent = await seed.agent(self.ctx)
        self.pool = await seed.debt_pool(self.ctx)
        self.zone = self.ctx.cache.get("debtor_timezone")
        self.source = await seed.call(
            self.ctx,
            "POST",
            "/v1/webhook-sources",
            self.ctx.admin_key,
            {"lender_id": self.lender["id"], "name": "mixed"},
        )

    def _auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    async def _send(self, op: str, method: str, path: str, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, path, **kwargs)
            status = str(response.status_code)
        except httpx.HTTPError as exc:
            status = f"transport:{type(exc).__name__}"
        self.latency_ms[op].append((time.perf_counter() - started) * 1000)
        self.statuses[op][status] += 1

    async def read(self, rnd: random.Random) -> None:
        debt = rnd.choice(self.pool)
        lender = self._auth(self.lender["key"])
        kind = rnd.randrange(3)
        if kind == 0:
            await self._send("read", "GET", f"/v1/debts/{debt['id']}", headers=lender)
        elif kind == 1:
            await self._send("read", "GET", "/v1/debts", params={"limit": 50}, headers=lender)
        else:
            await self._send("read", "GET", f"/v1/debts/{debt['id']}/contacts", headers=lender)

    async def batch(self, rnd: random.Random) -> None:
        n = next(self.seq)
        items = [
            debt_item(
                n * BATCH_ITEMS + i,
                prefix="mixed",
                seed=7,
                timezone=self.zone,
                with_email=True,
                places=REGF_ONLY_PLACES,
            )
            for i in range(BATCH_ITEMS)
        ]
        headers = {**self._auth(self.lender["key"]), "Idempotency-Key": f"mixed-batch-{n}"}
        await self._send("batch", "POST", "/v1/debts/batch", json={"items": items}, headers=headers)

    async def contact(self, rnd: random.Random) -> None:
        debt = rnd.choice(self.pool)
        body = {"channel": "email", "direction": "outbound", "to": debt["email"]}
        await self._send(
            "contact",
            "POST",
            f"/v1/debts/{debt['id']}/contacts",
            json=body,
            headers=self._auth(self.agent["key"]),
        )

    async def webhook(self, rnd: random.Random) -> None:
        n = next(self.seq)
        webhook_id = f"mixed-wh-{n}"
        now = dt.datetime.now(dt.UTC)
        data = {
            "external_ref": webhook_id,
            "debtor": {
                "external_ref": f"SUB-{webhook_id}",
                "kind": "person",
                "name": "Bench Subscriber",
                "address": {"country": "US", "subdivision": "NY", "city": "Albany"},
                "contact_points": [{"channel": "phone", "value": "+15185550142", "type": "cell"}],
            },
            "currency": "USD",
            "principal_minor": 8_999,
            "balance_minor": 8_999,
            "due_date": (now.date() - dt.timedelta(days=40)).isoformat(),
        }
        body = orjson.dumps({"type": "bill.overdue", "timestamp": now.isoformat(), "data": data})
        signature = Webhook(self.source["secret"]).sign(webhook_id, now, body.decode())
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        path = f"/v1/webhooks/telecom/{self.source['id']}"
        await self._send("webhook", "POST", path, content=body, headers=headers)

    async def run(self, seconds: float, concurrency: int, seed_value: int) -> None:
        deadline = time.monotonic() + seconds
        ops = list(MIX)
        weights = [MIX[o] for o in ops]

        async def client(n: int) -> None:
            rnd = random.Random(seed_value * 1000 + n)
            for _ in range(10_000_000):  # bounded; the deadline ends it
                if time.monotonic() >= deadline:
                    return
                op = rnd.choices(ops, weights)[0]
                await getattr(self, op)(rnd)

        await asyncio.gather(*(client(n) for n in range(concurrency)))

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for op in MIX:
            lat = sorted(self.latency_ms.get(op, [])) or [0.0]
            out[op] = {
                "requests": sum(self.statuses[op].values()),
                "statuses": dict(sorted(self.statuses[op].items())),
                "p50_ms": round(statistics.median(lat), 1),
                "p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 1),
                "max_ms": round(lat[-1], 1),
            }
        return out


def failures(statuses: dict[str, Any]) -> int:
    return sum(
        count
        for op in statuses.values()
        for status, count in op["statuses"].items()
        if status.startswith("transport") or status.startswith("5")
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    admin_key = os.urandom(24).hex()
    server = await start(admin_key)
    try:
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            ctx = seed.SeedContext(arrears=http, admin_key=admin_key, pool_size=POOL)
            ctx.openapi = (await http.get("/openapi.json")).json()
            load = Load(http, ctx)
            await load.prepare()
            await load.run(min(5.0, args.seconds), args.concurrency, seed_value=0)  # warm-up
            pid = server.process.pid
            rss = {"before": rss_bytes(pid)}
            runs = []
            for number in (1, 2):
                load.statuses.clear()
                load.latency_ms.clear()
                started = time.monotonic()
                await load.run(args.seconds, args.concurrency, seed_value=number)
                elapsed = time.monotonic() - started
                summary = load.summary()
                total = sum(op["requests"] for op in summary.values())
                runs.append(
                    {
                        "seconds": round(elapsed, 1),
                        "requests": total,
                        "requests_per_s": round(total / elapsed, 1),
                        "failures_5xx_or_transport": failures(summary),
                        "ops": summary,
                    }
                )
                rss["between" if number == 1 else "after"] = rss_bytes(pid)
            assert server.process.poll() is None, "the server died during the load"
    finally:
        server.stop()
    growth_second = rss["after"] - rss["between"]
    allowed = max(MEMORY_SLACK_BYTES, rss["between"] // 10)
    mib = {k: round(v / 2**20, 1) for k, v in rss.items()}
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": f"python -m bench.mixed --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency}",
        "server": "arrears serve --workers 1 on PostgreSQL (loopback)",
        "mix_weights": MIX,
        "runs": runs,
        "rss_mib": mib,
        "rss_growth_first_run_mib": round((rss["between"] - rss["before"]) / 2**20, 1),
        "rss_growth_second_run_mib": round(growth_second / 2**20, 1),
        "rss_growth_allowed_mib": round(allowed / 2**20, 1),
        "zero_5xx": all(r["failures_5xx_or_transport"] == 0 for r in runs),
        "memory_stable": growth_second <= allowed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run (60)")
    parser.add_argument("--concurrency", type=int, default=16, help="loopback clients (16)")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 256 or not 1 <= args.seconds <= 3600:
        parser.error("--concurrency 1..256, --seconds 1..3600")
    outcome = asyncio.run(main_async(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "mixed-latest.json").write_text(json.dumps(outcome, indent=2) + "\n")
    print(json.dumps(outcome, indent=2))
    ok = outcome["zero_5xx"] and outcome["memory_stable"]
    print("mixed load:", "OK" if ok else "FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
