"""Seeding hooks. Arrears-side data goes through Arrears' own HTTP API (its schema is its own).

Hooks are idempotent within a run: each caches what it created in `SeedContext.cache`, so several
scenarios (and later issues' hooks) can share a lender, keys or a debt pool.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.items import REGF_ONLY_PLACES, debt_item, email_of

BATCH = 1000
# Zones spread around the globe: one of them is always mid-day, whatever the hour of the run.
DAYTIME_ZONES = (
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Auckland",
)


class SeedError(RuntimeError):
    """Arrears refused a seeding request: the scenario cannot run."""


@dataclass
class SeedContext:
    arrears: httpx.AsyncClient  # base_url = the running Arrears
    admin_key: str
    pool_size: int
    openapi: dict[str, Any] = field(default_factory=dict)  # Arrears' GET /openapi.json
    cache: dict[str, Any] = field(default_factory=dict)


def debtor_accepts(ctx: SeedContext, prop: str) -> bool:
    """Whether Arrears' embedded-debtor input schema has `prop` (unknown fields are a 422).

    Debtor `timezone` arrives with the rules service (issue 5), after the debt routes (issue 4).
    Without a schema to read, assume it does.
    """
    schemas = ctx.openapi.get("components", {}).get("schemas", {})
    debtors = [
        s.get("properties", {})
        for s in schemas.values()
        if {"external_ref", "kind", "contact_points"} <= set(s.get("properties", {}))
    ]
    return not debtors or any(prop in props for props in debtors)


def daytime_zone(now: dt.datetime | None = None) -> str:
    """The zone whose local time is closest to 13:00 now (inside every 08:00-21:00 window)."""
    now = now or dt.datetime.now(dt.UTC)

    def distance(zone: str) -> float:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        return abs(local.hour + local.minute / 60 - 13.0)

    return min(DAYTIME_ZONES, key=distance)


async def call(
    ctx: SeedContext, method: str, path: str, key: str, body: Any = None, ok: tuple[int, ...] = ()
) -> Any:
    response = await ctx.arrears.request(
        method, path, json=body, headers={"Authorization": f"Bearer {key}"}
    )
    if response.status_code not in (ok or (200, 201)):
        raise SeedError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
    return response.json()


async def lender(ctx: SeedContext, code: str = "bench") -> dict[str, Any]:
    """A lender and a `lender` key for it: {"id", "key"}."""
    cached = ctx.cache.get(f"lender:{code}")
    if cached:
        return cached
    created = await call(
        ctx, "POST", "/v1/lenders", ctx.admin_key, {"code": code, "name": f"Bench {code}"}
    )
    key = await call(
        ctx,
        "POST",
        "/v1/api-keys",
        ctx.admin_key,
        {"role": "lender", "lender_id": created["id"], "name": f"bench {code}"},
    )
    ctx.cache[f"lender:{code}"] = {"id": created["id"], "key": key["key"]}
    return ctx.cache[f"lender:{code}"]


async def agent(ctx: SeedContext, code: str = "bench", tier: str = "senior") -> dict[str, Any]:
    """An agent working the lender's debts and an `agent` key for it: {"id", "key"}."""
    cached = ctx.cache.get(f"agent:{code}")
    if cached:
        return cached
    owner = await lender(ctx, code)
    created = await call(
        ctx,
        "POST",
        "/v1/agents",
        ctx.admin_key,
        {"name": f"Bench agent {code}", "tier": tier, "lender_ids": [owner["id"]]},
    )
    key = await call(
        ctx,
        "POST",
        "/v1/api-keys",
        ctx.admin_key,
        {"role": "agent", "agent_id": created["id"], "name": f"bench agent {code}"},
    )
    ctx.cache[f"agent:{code}"] = {"id": created["id"], "key": key["key"]}
    return ctx.cache[f"agent:{code}"]


async def post_batches(
    ctx: SeedContext, key: str, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """POST items to /v1/debts/batch in batches of 1,000; returns the per-item results."""
    results: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        answer = await call(ctx, "POST", "/v1/debts/batch", key, {"items": chunk})
        bad = [r for r in answer["results"] if r.get("status") == "rejected"]
        if bad:
            raise SeedError(f"/v1/debts/batch rejected {len(bad)} items, first: {bad[0]}")
        results.extend(answer["results"])
    return results


async def debt_pool(ctx: SeedContext, code: str = "bench") -> list[dict[str, Any]]:
    """`pool_size` collectable debts of one lender: [{"id", "external_ref", "email"}].

    Debtors live in the US where only Reg F applies (no WA, MA or NYC caps on every channel),
    with their `timezone` set to a zone where it is now mid-day, and carry an email contact point:
    an email contact is then allowed by every rule (window met, no email cap under Reg F) at any
    hour of the run, and each debt is contacted only a few times per run. (Before Arrears' debtors
    have a `timezone`, the pool is posted without it and serves the read scenarios only.)
    """
    cache_key = f"debt_pool:{code}"
    if cache_key in ctx.cache:
        return ctx.cache[cache_key]
    owner = await lender(ctx, code)
    zone = daytime_zone() if debtor_accepts(ctx, "timezone") else None
    items = [
        debt_item(i, prefix=f"pool-{code}", timezone=zone, with_email=True, places=REGF_ONLY_PLACES)
        for i in range(ctx.pool_size)
    ]
    results = await post_batches(ctx, owner["key"], items)
    by_ref = {r["external_ref"]: r["id"] for r in results}
    pool = [
        {"id": by_ref[item["external_ref"]], "external_ref": item["external_ref"]}
        | {"email": email_of(item)}
        for item in items
    ]
    ctx.cache[cache_key] = pool
    ctx.cache["debtor_timezone"] = zone
    return pool
