"""Statistics on a large portfolio: Arrears `GET /v1/stats/...` vs the same aggregate in hand-written SQL.

Seeds N debts (default 1,000,000) and M contacts (default 5,000,000) straight into the Arrears
database with `INSERT ... SELECT generate_series` (the API would take hours for this volume; the
rows have every column the API would write): four lenders of unequal size in four time zones, every
product, status and bucket, contacts over the last 365 days on five channels with realistic
outcomes. Then, for one lender and for all lenders, times `GET /v1/stats/portfolio` and
`GET /v1/stats/contacts` (default range: the last 30 days) through HTTP against the same aggregate run
directly with asyncpg, alternating the two, and reports p50s and the ratio (Arrears p50 ÷ SQL p50).
Targets: ratio ≤ 1.5 and Arrears p50 < 300 ms.

Standalone: `python -m bench.stats [--debts N] [--contacts M] [--repeat K]` starts its own Arrears
server on its own database (`arrears_bench_stats`); `python -m bench.run` calls `run_stats` with the
servers it already runs (smaller volumes with `--quick`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from bench import stack as stack_mod
from bench.scenarios import Scenario
from bench.stack import RESULTS, Stack, ensure_postgres

ROUTE = Scenario(
    name="stats",
    summary="dashboard aggregates on a large portfolio",
    arrears_method="GET",
    arrears_path="/v1/stats/portfolio",
    baseline_endpoint="hand-written SQL (asyncpg)",
    auth="lender",
    arrears_requests=lambda ctx: [],
    baseline_requests=lambda n: [],
    target=1.5,
    issue=10,
)
# (code, time zone, share of the debts)
LENDERS = [
    ("stats-big", "America/New_York", 0.55),
    ("stats-mid", "Europe/London", 0.25),
    ("stats-small", "Asia/Shanghai", 0.15),
    ("stats-tiny", "Australia/Sydney", 0.05),
]
PRODUCTS = ["credit_card", "personal_loan", "microloan", "bank_loan", "bnpl", "telecom_bill",
            "utility_bill", "enterprise_loan", "supply_chain", "other"]  # fmt: skip
# Weighted: most debts are being worked, some are finished.
STATUSES = ["active"] * 10 + ["promised", "in_plan", "in_plan", "disputed", "escalated", "legal",
            "paid", "paid", "settled", "written_off", "recalled", "closed"]  # fmt: skip
CHANNELS = ["phone"] * 6 + ["sms"] * 2 + ["email"] * 2 + ["letter", "visit"]
OUTCOMES = ["no_answer"] * 8 + ["voicemail"] * 3 + ["busy", "network_error", "wrong_number",
            "third_party", "delivered", "delivered", "bounced", "conversation", "conversation",
            "promise_to_pay", "refused", "dispute_raised", "callback_requested",
            "cease_requested"]  # fmt: skip
RIGHT_PARTY = ("conversation", "promise_to_pay", "refused", "dispute_raised", "cease_requested",
               "callback_requested")  # fmt: skip


SUMMARY_KEY = "lender_id, status, product, currency, due_date"
SUMMARY_CLEAR = "DELETE FROM debt_portfolio_summary WHERE lender_id = ANY($1::uuid[])"
SUMMARY_BACKFILL = f"""
    INSERT INTO debt_portfolio_summary ({SUMMARY_KEY}, debts, balance_minor, principal_minor,
        fees_minor)
    SELECT {SUMMARY_KEY}, count(*), sum(balance_minor), sum(principal_minor), sum(fees_minor)
    FROM debts WHERE lender_id = ANY($1::uuid[]) GROUP BY {SUMMARY_KEY}"""


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def _lender_case(index: str, ids: list[str]) -> str:
    """SQL picking the lender of row `index` by the LENDERS shares (deterministic)."""
    bounds, acc, parts = [], 0.0, []
    for (_, _, share), lender_id in zip(LENDERS, ids, strict=True):
        acc += share
        bounds.append((acc, lender_id))
    for acc, lender_id in bounds[:-1]:
        parts.append(f"WHEN ({index} % 1000) < {int(acc * 1000)} THEN '{lender_id}'::uuid")
    return f"CASE {' '.join(parts)} ELSE '{bounds[-1][1]}'::uuid END"


async def seed(conn: asyncpg.Connection, lender_ids: list[str], debts: int, contacts: int) -> dict:
    """Debtors (one per 4 debts), debts, contacts; ids are md5-derived so rows can refer to each other."""
    lender = _lender_case("i", lender_ids)
    timings = {}
    # Foreign-key triggers off for this session only (every reference is built consistent above).
    await conn.execute("SET session_replication_role = replica")
    t0 = time.perf_counter()
    await conn.execute(f"""
        INSERT INTO debtors (id, lender_id, external_ref, kind, name, country, created_at, updated_at)
        SELECT md5('debtor' || i)::uuid, {lender}, 'SD-' || i, 'person', 'Bench Debtor', 'US',
               now(), now()
        FROM generate_series(0::bigint, {debts // 4}) AS i""")
    timings["debtors_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # Debt i belongs to debtor i/4 and takes that debtor's lender; contact j is on debt j % N.
    await conn.execute(f"""
        INSERT INTO debts (id, lender_id, external_ref, debtor_id, product, currency,
            principal_minor, balance_minor, fees_minor, credit_minor, due_date, status,
            escalation_level, compliance_profiles, broken_plans, created_at, updated_at)
        SELECT md5('debt' || i)::uuid, {_lender_case("(i / 4)", lender_ids)}, 'S-' || i,
               md5('debtor' || (i / 4))::uuid,
               ({_array(PRODUCTS)})[1 + (i * 7) % {len(PRODUCTS)}],
               'USD', 10000 + (i * 7919) % 500000,
               CASE WHEN ({_array(STATUSES)})[1 + (i * 13) % {len(STATUSES)}]
                         IN ('paid', 'settled', 'written_off', 'recalled', 'closed') THEN 0
                    ELSE 5000 + (i * 104729) % 450000 END,
               (i % 5) * 1500, 0,
               current_date - ((i * 31) % 420 - 20)::int,
               ({_array(STATUSES)})[1 + (i * 13) % {len(STATUSES)}],
               'collector', '[]'::jsonb, 0,
               now() - ((i % 400) || ' days')::interval, now()
        FROM generate_series(0::bigint, {debts - 1}) AS i""")
    timings["debts_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # Bulk-load practice: drop the secondary indexes, insert, build them again (same definitions).
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'contacts' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    await conn.execute(f"""
        INSERT INTO contacts (id, lender_id, debt_id, debtor_id, channel, direction, source, outcome,
            purpose, also_debt_ids, occurred_at, created_at, updated_at)
        SELECT gen_random_uuid(), {_lender_case(f"((j % {debts}) / 4)", lender_ids)},
               md5('debt' || (j % {debts}))::uuid, md5('debtor' || ((j % {debts}) / 4))::uuid,
               ({_array(CHANNELS)})[1 + (j * 7) % {len(CHANNELS)}],
               CASE WHEN j % 10 = 0 THEN 'inbound' ELSE 'outbound' END,
               CASE WHEN j % 10 = 0 THEN 'inbound' ELSE 'import' END,
               ({_array(OUTCOMES)})[1 + (j * 11) % {len(OUTCOMES)}],
               'collection', '[]'::jsonb,
               now() - ((j * 7919) % (365 * 86400)) * interval '1 second', now(), now()
        FROM generate_series(0::bigint, {contacts - 1}) AS j""")
    timings["contacts_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '256MB'")
    for row in rows:
        await conn.execute(row["indexdef"])
    timings["contact_indexes_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # Replica mode also silenced the triggers that keep `debt_portfolio_summary` (migration 0008):
    # rebuild these lenders' rows from their debts, as the migration's backfill does.
    await conn.execute(SUMMARY_CLEAR, lender_ids)
    await conn.execute(SUMMARY_BACKFILL, lender_ids)
    timings["summary_backfill_s"] = time.perf_counter() - t0
    await conn.execute("SET session_replication_role = DEFAULT")
    t0 = time.perf_counter()
    await conn.execute("VACUUM (ANALYZE) debtors")
    await conn.execute("VACUUM (ANALYZE) debts")
    await conn.execute("VACUUM (ANALYZE) contacts")
    await conn.execute("VACUUM (ANALYZE) debt_portfolio_summary")
    timings["vacuum_analyze_s"] = time.perf_counter() - t0
    return {k: round(v, 1) for k, v in timings.items()}


def _bucket_sql(today: date) -> str:
    def d(days: int) -> str:
        return f"'{today - timedelta(days=days)}'::date"

    return (
        f"CASE WHEN due_date >= {d(0)} THEN 'current' WHEN due_date >= {d(30)} THEN '1-30' "
        f"WHEN due_date >= {d(60)} THEN '31-60' WHEN due_date >= {d(90)} THEN '61-90' "
        f"WHEN due_date >= {d(180)} THEN '91-180' ELSE '181+' END"
    )


def portfolio_sql(
    zones: dict[str, str], lender_id: str | None, now: datetime, *, summary: bool = False
) -> str:
    """The portfolio cube written by hand: buckets by each lender's local today.

    `summary=False`: over the live `debts` table (what the endpoint computed before migration
    0008); `summary=True`: over `debt_portfolio_summary`, the same aggregate the endpoint reads now.
    """
    todays: dict[date, list[str]] = {}
    for lid, zone in zones.items():
        if lender_id is None or lid == lender_id:
            todays.setdefault(now.astimezone(ZoneInfo(zone)).date(), []).append(lid)
    if len(todays) == 1:
        bucket = _bucket_sql(next(iter(todays)))
    else:
        whens = " ".join(
            f"WHEN lender_id IN ({','.join(repr(i) for i in ids)}) THEN {_bucket_sql(day)}"
            for day, ids in todays.items()
        )
        bucket = f"CASE {whens} END"
    where = f"WHERE lender_id = '{lender_id}'" if lender_id else ""
    if summary:  # a key's shards summed (migration 0012), empty combinations left out
        return (
            f"SELECT status, product, {bucket} AS bucket, currency, sum(debts), "
            f"sum(balance_minor), sum(principal_minor), sum(fees_minor) "
            f"FROM debt_portfolio_summary {where} GROUP BY 1, 2, 3, 4 HAVING sum(debts) <> 0"
        )
    return (
        f"SELECT status, product, {bucket} AS bucket, currency, count(*), sum(balance_minor), "
        f"sum(principal_minor), sum(fees_minor) FROM debts {where} GROUP BY 1, 2, 3, 4"
    )


def contacts_sql(lender_id: str | None, start: datetime, end: datetime) -> list[str]:
    """The contact cube and the promise-kept count, by hand, over [start, end)."""
    scope = f"lender_id = '{lender_id}' AND " if lender_id else ""
    cube = (
        f"SELECT channel, direction, outcome, count(*) FROM contacts WHERE {scope}"
        f"occurred_at >= '{start.isoformat()}' AND occurred_at < '{end.isoformat()}' GROUP BY 1, 2, 3"
    )
    promises = (
        "SELECT count(*), count(*) FILTER (WHERE p.status = 'completed') FROM plans p "
        "JOIN (SELECT plan_id, max(due_date) AS due FROM plan_installments GROUP BY plan_id) i "
        f"ON i.plan_id = p.id WHERE {scope.replace('lender_id', 'p.lender_id')}p.kind = 'promise' "
        f"AND p.status IN ('completed', 'broken') AND i.due >= '{start.date()}' "
        f"AND i.due <= '{(end - timedelta(days=1)).date()}'"
    )
    return [cube, promises]


def _day_range(zone: str, now: datetime) -> tuple[datetime, datetime]:
    """The API's default range: the 30 days up to today in `zone`, as instants."""
    today = now.astimezone(ZoneInfo(zone)).date()
    first = today - timedelta(days=29)
    tz = ZoneInfo(zone)
    start = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(UTC)
    after = today + timedelta(days=1)
    return start, datetime(after.year, after.month, after.day, tzinfo=tz).astimezone(UTC)


async def _time_api(client: httpx.AsyncClient, path: str, key: str) -> float:
    t0 = time.perf_counter()
    response = await client.get(path, headers={"Authorization": f"Bearer {key}"})
    elapsed = time.perf_counter() - t0
    if response.status_code != 200:
        raise RuntimeError(f"{path} -> {response.status_code}: {response.text[:200]}")
    return elapsed * 1000


async def _time_sql(conn: asyncpg.Connection, queries: list[str]) -> float:
    t0 = time.perf_counter()
    for query in queries:
        await conn.fetch(query)
    return (time.perf_counter() - t0) * 1000


async def measure(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    cases: list[tuple[str, str, str, list[str], list[str] | None]],
    repeat: int,
) -> list[dict[str, Any]]:
    """Per case: one warm-up each, then `repeat` alternating timings (API, SQL..., SQL..., API, ...).

    Each case has the hand-written SQL over the live tables and, for the portfolio, the same
    aggregate over `debt_portfolio_summary` (what the endpoint reads). The target ratio is taken
    against the summary SQL where there is one: the same aggregate the endpoint computes.
    """
    out = []
    for name, path, key, live, summary in cases:
        variants = [live] if summary is None else [live, summary]
        await _time_api(client, path, key)
        for queries in variants:
            await _time_sql(conn, queries)
        api: list[float] = []
        sql: list[list[float]] = [[] for _ in variants]
        for i in range(repeat):
            if i % 2 == 0:
                api.append(await _time_api(client, path, key))
            for timings, queries in zip(sql, variants, strict=True):
                timings.append(await _time_sql(conn, queries))
            if i % 2 == 1:
                api.append(await _time_api(client, path, key))
        p50_api = statistics.median(api)
        p50_sql = [statistics.median(timings) for timings in sql]
        ratios = [round(p50_api / p50, 2) if p50 else None for p50 in p50_sql]
        same = p50_sql[-1]  # the same aggregate as the endpoint (summary if there is one)
        out.append(
            {
                "case": name,
                "path": path,
                "arrears_p50_ms": round(p50_api, 1),
                "sql_p50_ms": round(p50_sql[0], 1),
                "ratio": ratios[0],
                "summary_sql_p50_ms": round(p50_sql[1], 1) if summary is not None else None,
                "summary_ratio": ratios[1] if summary is not None else None,
                "arrears_max_ms": round(max(api), 1),
                "meets_target": p50_api / same <= ROUTE.target and p50_api < 300,
            }
        )
    return out


async def _lenders(client: httpx.AsyncClient, admin_key: str) -> list[dict[str, str]]:
    admin = {"Authorization": f"Bearer {admin_key}"}
    made = []
    for code, zone, _ in LENDERS:
        body = {"code": code, "name": code, "settings": {"timezone": zone}}
        lender = (await client.post("/v1/lenders", json=body, headers=admin)).json()
        key_body = {"role": "lender", "lender_id": lender["id"], "name": f"{code} stats"}
        key = (await client.post("/v1/api-keys", json=key_body, headers=admin)).json()
        made.append({"id": lender["id"], "zone": zone, "key": key["key"]})
    return made


async def run_stats(
    arrears_url: str, admin_key: str, dsn: str, *, debts: int, contacts: int, repeat: int
) -> dict[str, Any]:
    """Seed, then time the four cases; the Arrears database must be empty of stats-* lenders."""
    async with httpx.AsyncClient(base_url=arrears_url, timeout=120) as client:
        lenders = await _lenders(client, admin_key)
        conn = await asyncpg.connect(dsn)
        try:
            t0 = time.perf_counter()
            seeding = await seed(conn, [lender["id"] for lender in lenders], debts, contacts)
            seeding["total_s"] = round(time.perf_counter() - t0, 1)
            now = datetime.now(UTC)
            zones = {lender["id"]: lender["zone"] for lender in lenders}
            one, admin = lenders[0], admin_key
            cases = [
                ("portfolio, one lender", "/v1/stats/portfolio", one["key"],
                 [portfolio_sql(zones, one["id"], now)],
                 [portfolio_sql(zones, one["id"], now, summary=True)]),
                ("portfolio, all lenders", "/v1/stats/portfolio", admin,
                 [portfolio_sql(zones, None, now)], [portfolio_sql(zones, None, now, summary=True)]),
                ("contacts 30 d, one lender", "/v1/stats/contacts", one["key"],
                 contacts_sql(one["id"], *_day_range(one["zone"], now)), None),
                ("contacts 30 d, all lenders", "/v1/stats/contacts", admin,
                 contacts_sql(None, *_day_range("UTC", now)), None),
            ]  # fmt: skip
            figures = await measure(client, conn, cases, repeat)
        finally:
            await conn.close()
    return {"debts": debts, "contacts": contacts, "repeat": repeat, "seeding": seeding,
            "cases": figures}  # fmt: skip


def table(result: dict[str, Any]) -> str:
    """p50s; `ratio` vs the live-table SQL, `summary ratio` vs the same SQL over the summary."""
    head = (
        f"{'case':<28} {'arrears p50 ms':>14} {'live SQL ms':>11} {'ratio':>6} "
        f"{'summary SQL ms':>14} {'summary ratio':>13}  target"
    )
    lines = [head, "-" * len(head)]
    for c in result["cases"]:
        mark = "ok" if c["meets_target"] else "MISSED"
        summary_ms = c.get("summary_sql_p50_ms")
        summary_ratio = c.get("summary_ratio")
        lines.append(
            f"{c['case']:<28} {c['arrears_p50_ms']:>14} {c['sql_p50_ms']:>11} {c['ratio']:>6} "
            f"{'-' if summary_ms is None else summary_ms:>14} "
            f"{'-' if summary_ratio is None else summary_ratio:>13}  ≤ 1.5 and < 300 ms: {mark}"
        )
    lines.append(f"seeding: {result['seeding']}")
    return "\n".join(lines)


async def _standalone(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    await ensure_postgres()
    arrears = await stack.start_arrears()
    return await run_stats(
        arrears.url,
        stack.admin_key,
        stack_mod.dsn_for(stack_mod.ARREARS_DB),
        debts=args.debts,
        contacts=args.contacts,
        repeat=args.repeat,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    p.add_argument("--debts", type=int, default=1_000_000)
    p.add_argument("--contacts", type=int, default=5_000_000)
    p.add_argument("--repeat", type=int, default=21, help="timed requests per case and side")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    args = p.parse_args(argv)
    # Its own database, so a standalone run never drops another run's `arrears_bench`.
    stack_mod.ARREARS_DB = "arrears_bench_stats"
    stack = Stack(workers=args.workers, baseline_debts=1)
    try:
        outcome = asyncio.run(_standalone(args, stack))
    except KeyboardInterrupt:
        return 130
    finally:
        stack.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "stats-latest.json").write_text(json.dumps(outcome, indent=2) + "\n")
    print(table(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
