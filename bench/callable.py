"""The dialer's call list over a large portfolio: `POST /v1/compliance/callable` for N debts.

Seeds N debts straight into the Arrears bench database with SQL (HTTP ingestion of 100,000 debts
would dominate the run): one lender, debtors spread over eight US states with cell phones whose
area codes sit in four time zones, two imported calls per debt in the last week, 5 % paid debts and
1 % debtors under a bankruptcy hold. Then asks for the phone call list of the whole lender a few
times and reports the wall time of each answer. Target (issue 5): under 5 seconds for 100,000 debts.

    .venv/bin/python -m bench.callable --debts 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

import asyncpg
import httpx

from bench.stack import RESULTS, Stack, dsn_for, ensure_postgres

ARREARS_DB = "arrears_bench"
STATES = "ARRAY['NY','CA','TX','FL','IL','WA','MA','AZ']"
AREA = "ARRAY['212','415','512','305','312','206','617','602']"

SEED_SQL = [
    f"""
    INSERT INTO debtors (id, lender_id, external_ref, kind, name, country, subdivision, city,
                         postal_code, created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'P-' || g, 'person', 'Debtor ' || g, 'US',
           ({STATES})[1 + g % 8], 'Springfield', '10001', now(), now()
    FROM generate_series(1, $2) AS g
    """,
    f"""
    INSERT INTO contact_points (id, lender_id, debtor_id, channel, value, type, status, created_at, updated_at)
    SELECT gen_random_uuid(), d.lender_id, d.id, 'phone',
           '+1' || ({AREA})[1 + (substr(d.external_ref, 3)::int) % 8] || '55501'
               || lpad(((substr(d.external_ref, 3)::int) % 100)::text, 2, '0'),
           'cell', 'active', now(), now()
    FROM debtors d WHERE d.lender_id = $1
    """,
    """
    INSERT INTO debts (id, lender_id, external_ref, debtor_id, product, currency, principal_minor,
                       balance_minor, fees_minor, credit_minor, due_date, status, escalation_level,
                       compliance_profiles, broken_plans, created_at, updated_at)
    SELECT gen_random_uuid(), d.lender_id, 'D-' || substr(d.external_ref, 3), d.id, 'credit_card', 'USD',
           100000, 50000 + (substr(d.external_ref, 3)::int % 50000), 0, 0,
           current_date - (substr(d.external_ref, 3)::int % 200),
           CASE WHEN substr(d.external_ref, 3)::int % 20 = 0 THEN 'paid' ELSE 'active' END,
           'collector', '[]'::jsonb, 0, now(), now()
    FROM debtors d WHERE d.lender_id = $1
    """,
    """
    INSERT INTO contacts (id, lender_id, debt_id, debtor_id, channel, direction, source, outcome,
                          "to", destination_type, purpose, also_debt_ids, occurred_at, created_at, updated_at)
    SELECT gen_random_uuid(), t.lender_id, t.id, t.debtor_id, 'phone', 'outbound', 'import',
           CASE WHEN k = 1 THEN 'no_answer' ELSE 'voicemail' END, NULL, 'cell', 'collection', '[]'::jsonb,
           now() - make_interval(days => k * 2, hours => k), now(), now()
    FROM debts t CROSS JOIN generate_series(1, 2) AS k WHERE t.lender_id = $1
    """,
    """
    INSERT INTO holds (id, lender_id, debtor_id, type, starts_at, source, opt_out_confirmations_used,
                       created_at, updated_at)
    SELECT gen_random_uuid(), d.lender_id, d.id, 'bankruptcy', now() - interval '1 day', 'manual', 0, now(), now()
    FROM debtors d WHERE d.lender_id = $1 AND substr(d.external_ref, 3)::int % 100 = 7
    """,
]


# `--portfolio varied`: every debtor its own phone number, and a history that differs from debt
# to debt (60 % of the debts called one to three times at scattered minutes of the last week,
# some calls ending in a conversation): little for the call list to share between debts.
VARIED_SQL = [
    SEED_SQL[0],
    f"""
    INSERT INTO contact_points (id, lender_id, debtor_id, channel, value, type, status, created_at, updated_at)
    SELECT gen_random_uuid(), d.lender_id, d.id, 'phone',
           '+1' || ({AREA})[1 + n % 8] || (200 + (n / 8) % 800)::text
               || lpad(((n / 6400) % 10000)::text, 4, '0'),
           'cell', 'active', now(), now()
    FROM debtors d CROSS JOIN LATERAL (SELECT substr(d.external_ref, 3)::int AS n) x
    WHERE d.lender_id = $1
    """,
    SEED_SQL[2],
    """
    INSERT INTO contacts (id, lender_id, debt_id, debtor_id, channel, direction, source, outcome,
                          "to", destination_type, purpose, also_debt_ids, occurred_at, created_at, updated_at)
    SELECT gen_random_uuid(), t.lender_id, t.id, t.debtor_id, 'phone', 'outbound', 'import',
           CASE WHEN k = 3 AND n % 7 = 0 THEN 'conversation'
                WHEN k = 1 THEN 'no_answer' ELSE 'voicemail' END,
           NULL, 'cell', 'collection', '[]'::jsonb,
           now() - make_interval(mins => 30 + (n * 7919 + k * 2003) % 10000), now(), now()
    FROM debts t CROSS JOIN LATERAL (SELECT substr(t.external_ref, 3)::int AS n) x
    CROSS JOIN generate_series(1, 3) AS k
    WHERE t.lender_id = $1 AND n % 10 < 6 AND k <= 1 + n % 3
    """,
    SEED_SQL[4],
]


async def seed(lender_id: str, debts: int, portfolio: str = "uniform") -> float:
    started = time.perf_counter()
    statements = VARIED_SQL if portfolio == "varied" else SEED_SQL
    conn = await asyncpg.connect(dsn_for(ARREARS_DB))
    try:
        async with conn.transaction():
            await conn.execute(statements[0], lender_id_uuid(lender_id), debts)
            for sql in statements[1:]:
                await conn.execute(sql, lender_id_uuid(lender_id))
            await _store_time_zones(conn, lender_id_uuid(lender_id))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _store_time_zones(conn: asyncpg.Connection, lender_id: Any) -> None:
    """What the service stores with every phone it adds (`contact_points.time_zones`), found by
    the service's own function: the SQL above writes the rows without it."""
    from app.rules.zones import phone_zones

    values = [r[0] for r in await conn.fetch(
        "SELECT DISTINCT value FROM contact_points WHERE lender_id = $1 AND channel = 'phone'",
        lender_id,
    )]  # fmt: skip
    zones = [json.dumps(list(phone_zones(v))) for v in values]
    await conn.execute(
        """UPDATE contact_points p SET time_zones = z.zones::jsonb
           FROM unnest($2::text[], $3::text[]) AS z(value, zones)
           WHERE p.lender_id = $1 AND p.channel = 'phone' AND p.value = z.value""",
        lender_id, values, zones,
    )  # fmt: skip


def lender_id_uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


async def run_callable(
    base_url: str,
    admin_key: str,
    *,
    debts: int,
    rounds: int,
    portfolio: str = "uniform",
    at: str | None = None,
) -> dict[str, Any]:
    """Seed `debts` debts for a new lender and time its phone call list `rounds` times, at `at`
    (an ISO instant in the past; the request's default, now, without it)."""
    admin = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as http:
        code = f"callable-{int(time.time())}"
        lender = await http.post(
            "/v1/lenders",
            json={
                "code": code,
                "name": "Call list bench",
                "settings": {"timezone": "America/New_York"},
            },
            headers=admin,
        )
        lender.raise_for_status()
        lender_id = lender.json()["id"]
        seed_s = await seed(lender_id, debts, portfolio)
        body: dict[str, Any] = {"channel": "phone", "filter": {"lender_id": lender_id}}
        if at is not None:
            body["at"] = at
        timings, sizes = [], {}
        for _ in range(rounds):
            started = time.perf_counter()
            answer = await http.post("/v1/compliance/callable", json=body, headers=admin)
            timings.append(time.perf_counter() - started)
            answer.raise_for_status()
            data = answer.json()
            sizes = {"allowed": len(data["allowed"]), "blocked": len(data["blocked"])}
    return {
        "debts": debts,
        "portfolio": portfolio,
        "seed_seconds": round(seed_s, 2),
        "rounds": rounds,
        "seconds": [round(t, 3) for t in timings],
        "median_seconds": round(statistics.median(timings), 3),
        "answer": sizes,
        "at": at or "now",
        "target_seconds": 5.0,
        "evaluated_at_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def summary(outcome: dict[str, Any]) -> str:
    return (
        f"call list of {outcome['debts']:,} debts ({outcome['portfolio']}, at {outcome['at']}): "
        f"median {outcome['median_seconds']} s "
        f"(runs {outcome['seconds']}), {outcome['answer']}, target < 5 s; "
        f"seeded in {outcome['seed_seconds']} s"
    )


async def run(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    await ensure_postgres()
    arrears = await stack.start_arrears()
    return await run_callable(
        arrears.url,
        stack.admin_key,
        debts=args.debts,
        rounds=args.rounds,
        portfolio=args.portfolio,
        at=args.at,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.callable", description=__doc__)
    p.add_argument("--debts", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--portfolio", choices=["uniform", "varied"], default="uniform")
    p.add_argument(
        "--at",
        help="the instant asked about (ISO 8601, in the past; default now): e.g. an instant inside"
        " the debtors' calling hours, when most debts are allowed",
    )
    args = p.parse_args(argv)
    stack = Stack(workers=args.workers, baseline_debts=1)
    try:
        outcome = asyncio.run(run(args, stack))
    finally:
        stack.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "callable-latest.json" if args.portfolio == "uniform" else "callable-varied-latest.json"
    (RESULTS / name).write_text(json.dumps(outcome, indent=2) + "\n")
    print(summary(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
