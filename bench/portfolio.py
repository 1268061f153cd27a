"""Realistic portfolios in a running Arrears, through its own HTTP API.

Several lenders, each with debts of every product and bucket (due dates up to 400 days back),
person debtors in a dozen US places across time zones and state rules (New York City, Washington,
Massachusetts, a split-zone Idaho number), cell phones, and — once `POST /v1/debts/{id}/contacts/import`
exists — a contact history per debt (imported, so never evaluated).

    python -m bench.portfolio --url http://127.0.0.1:8000 --admin-key KEY --debts 10000 --lenders 3

Later bench scenarios call `seed_portfolio(ctx, ...)` with the run's SeedContext.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
from typing import Any

import httpx

from bench import seed
from bench.items import debt_item

OUTCOMES = ("no_answer", "voicemail", "busy", "conversation", "promise_to_pay", "refused")
IMPORT_ROUTE = "/v1/debts/{id}/contacts/import"


def history(index: int, count: int, now: dt.datetime) -> list[dict[str, Any]]:
    """`count` past outbound phone calls of debt `index`, spread over the last 60 days."""
    rnd = random.Random(index)
    return [
        {
            "occurred_at": (now - dt.timedelta(minutes=rnd.randrange(60, 60 * 24 * 60)))
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
            "channel": "phone",
            "direction": "outbound",
            "outcome": rnd.choice(OUTCOMES),
        }
        for _ in range(count)
    ]


async def _import_histories(
    ctx: seed.SeedContext, key: str, debt_ids: list[str], per_debt: int, concurrency: int
) -> int:
    now = dt.datetime.now(dt.UTC)
    queue = list(enumerate(debt_ids))
    imported = 0

    async def worker() -> None:
        nonlocal imported
        while queue:
            index, debt_id = queue.pop()
            body = {"items": history(index, per_debt, now)}
            await seed.call(ctx, "POST", IMPORT_ROUTE.format(id=debt_id), key, body)
            imported += per_debt

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return imported


async def seed_portfolio(
    ctx: seed.SeedContext,
    *,
    debts: int,
    lenders: int = 3,
    contacts_per_debt: int = 0,
    openapi_paths: dict[str, Any] | None = None,
    concurrency: int = 4,
    prefix: str = "portfolio",
) -> dict[str, Any]:
    """Create `lenders` lenders sharing `debts` debts (and histories); returns what was made."""
    made: dict[str, Any] = {"lenders": [], "debts": 0, "contacts": 0}
    can_import = openapi_paths is None or any(p.endswith("/contacts/import") for p in openapi_paths)
    for n in range(lenders):
        code = f"{prefix}{n}"
        owner = await seed.lender(ctx, code)
        share = debts // lenders + (1 if n < debts % lenders else 0)
        items = [debt_item(i, prefix=code, seed=n) for i in range(share)]
        results = await seed.post_batches(ctx, owner["key"], items)
        ids = [r["id"] for r in results]
        made["lenders"].append({"code": code, "id": owner["id"], "debts": len(ids)})
        made["debts"] += len(ids)
        if contacts_per_debt and can_import:
            made["contacts"] += await _import_histories(
                ctx, owner["key"], ids, contacts_per_debt, concurrency
            )
    if contacts_per_debt and not can_import:
        made["contacts_skipped"] = f"{IMPORT_ROUTE} is not in Arrears' openapi.json yet"
    return made


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=args.url, timeout=300) as client:
        paths = dict((await client.get("/openapi.json")).json().get("paths", {}))
        if "/v1/debts/batch" not in paths:
            raise SystemExit("POST /v1/debts/batch is not in Arrears' openapi.json yet")
        ctx = seed.SeedContext(client, args.admin_key, 0)
        return await seed_portfolio(
            ctx,
            debts=args.debts,
            lenders=args.lenders,
            contacts_per_debt=args.contacts_per_debt,
            openapi_paths=paths,
            prefix=args.prefix,
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.portfolio", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--admin-key", required=True)
    p.add_argument("--debts", type=int, default=10_000)
    p.add_argument("--lenders", type=int, default=3)
    p.add_argument("--contacts-per-debt", type=int, default=3)
    p.add_argument("--prefix", default="portfolio", help="lender codes are PREFIX0, PREFIX1, ...")
    args = p.parse_args(argv)
    print(json.dumps(asyncio.run(_main(args)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
