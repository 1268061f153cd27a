"""The database's share of batch ingestion: what `POST /v1/debts/batch` writes, without the rest.

For the same batches as `bench.ingest`, the rows the service would write are built first, before the
clock starts, with the service's own functions (validation, phone numbers and their zones,
digests, debtor, contact point, debt and timeline rows). Then, timed, each batch is written as the
service writes it — one transaction with the lookup and lock of the batch's debts, the debtors,
their contact points, the debts and their `debt.created` events, through the service's own
statements — with the same number of batches in flight, from this process, on the Arrears
database. No HTTP, no validation, no response: what remains is the database's work and the
driver's. When the database server runs on this machine, the CPU time its backends spent on these
writes is read from /proc as well (the backends of this run's connections, before their first
batch and after the last). It leaves out what other server processes do for the writes (WAL
writer, checkpointer, autovacuum), so it is a lower bound, and it bounds what any ingestion into
these tables, with their indexes, keys and triggers, can reach on this machine's cores
(`postgres_cpu_bound_rows_per_s`). With the CPU this process spent building the rows (the
service's validation, phone numbers, digests and rows, measured without the garbage collector)
and writing them (SQLAlchemy, asyncpg), it bounds what this service can reach here
(`cpu_bound_rows_per_s`; HTTP, JSON and responses would come on top).

`python -m bench.ingest` runs it after the Arrears side and reports `db_floor`.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import seed

_SECRET = "bench-floor-secret"


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU seconds used so far by one PostgreSQL backend of this machine; None without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError):
        return None


def _rows(ctx: Any, batch: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows `ingest._write` writes for a batch of new debts, built as it builds them."""
    from app.core.types import new_id
    from app.debts import ingest

    items = []
    for index, raw in enumerate(batch):
        debt = ingest.validate_item(raw, _SECRET)
        if isinstance(debt, list):
            raise RuntimeError(f"item {index} is invalid: {debt}")
        items.append(ingest._Item(index, debt, ingest.digest(debt, _SECRET)))
    debtors = {i.debt.debtor.external_ref: ingest._debtor_row(ctx, i.debt.debtor) for i in items}
    points = [
        {"id": new_id(), "debtor_id": debtors[i.debt.debtor.external_ref]["id"],
         "channel": p.channel.value, "value": p.value, "type": p.type.value,
         "time_zones": p.time_zones}
        for i in items
        for p in i.debt.debtor.contact_points
    ]  # fmt: skip
    debts = [ingest._new_debt_row(i, debtors[i.debt.debtor.external_ref]["id"]) for i in items]
    events = [ingest._created_event(ctx, row["id"], row) for row in debts]
    return {
        "refs": sorted(i.debt.external_ref for i in items),
        "debtors": [debtors[ref] for ref in sorted(debtors)],
        "points": points,
        "debts": sorted(debts, key=lambda row: row["external_ref"]),
        "events": events,
    }


async def run_floor(
    ctx: seed.SeedContext,
    database_url: str,
    batches: list[list[dict[str, Any]]],
    concurrency: int,
    timed: Callable[[list[Callable[[], Awaitable[int]]], int, float], Awaitable[Any]],
    max_seconds: float,
) -> dict[str, Any]:
    from app.core.config import Settings
    from app.core.crypto import DataCipher
    from app.core.db import create_engine, create_sessionmaker
    from app.core.pg import driver_connection
    from app.debtors import repository as debtors
    from app.debts import repository as debts

    owner = await seed.lender(ctx, "ingest-floor")
    lender_id = uuid.UUID(owner["id"])
    now = datetime.now(UTC)
    context = SimpleNamespace(
        lender=SimpleNamespace(id=lender_id), actor="lender", now=now,
        cipher=DataCipher(_SECRET), secret=_SECRET,
    )  # fmt: skip
    renamed = [[{**raw, "external_ref": f"floor-{raw['external_ref']}",
                 "debtor": {**raw["debtor"], "external_ref": f"floor-{raw['debtor']['external_ref']}"}}
                for raw in batch]
               for batch in batches]  # fmt: skip
    # The service's own Python per row (validation, phone numbers, digests, rows), without the
    # garbage collector: a lower bound of what a server spends on it.
    gc.collect()
    gc.disable()
    build_started = time.process_time()
    prepared = [_rows(context, batch) for batch in renamed]
    build_cpu = time.process_time() - build_started
    gc.enable()
    items = sum(len(batch) for batch in batches)
    engine = create_engine(Settings(database_url=database_url))
    sessions = create_sessionmaker(engine)

    started: dict[int, float | None] = {}  # backend pid -> its CPU seconds before its first batch

    def job(rows: dict[str, Any]) -> Callable[[], Awaitable[int]]:
        async def write() -> int:
            async with sessions() as session, session.begin():
                pid = (await driver_connection(session)).get_server_pid()
                if pid not in started:
                    started[pid] = backend_cpu_seconds(pid)
                await debts.by_external_refs(session, lender_id, rows["refs"], for_update=True)
                await debtors.upsert_many(session, rows["debtors"], lender_id=lender_id, now=now)
                await debtors.add_contact_points(
                    session, rows["points"], lender_id=lender_id, now=now
                )
                inserted = await debts.insert_new(
                    session, rows["debts"], lender_id=lender_id, now=now
                )
                await debts.add_events(session, rows["events"], lender_id=lender_id, at=now)
            return len(inserted)

        return write

    try:
        client_started = time.process_time()
        seconds, written, errors, not_started = await timed(
            [job(rows) for rows in prepared], concurrency, max_seconds
        )
        client_cpu = time.process_time() - client_started  # SQLAlchemy, asyncpg, the event loop
        spent = [(before, backend_cpu_seconds(pid)) for pid, before in started.items()]
    finally:
        await engine.dispose()
    cpu = None
    if spent and all(before is not None and after is not None for before, after in spent):
        cpu = sum(after - before for before, after in spent)  # type: ignore[operator]
    figures: dict[str, Any] = {
        "seconds": round(seconds, 3),
        "rows": written,
        "rows_per_s": written / seconds if seconds else 0.0,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "batches_not_started": not_started,
    }
    cores = os.cpu_count() or 1
    figures["rows_build_cpu_us_per_row"] = round(build_cpu / items * 1e6, 1)
    if written:
        figures["client_cpu_us_per_row"] = round(client_cpu / written * 1e6, 1)
    if cpu and written:
        per_row = cpu / written
        figures["postgres_cpu_us_per_row"] = round(per_row * 1e6, 1)
        figures["postgres_cpu_bound_rows_per_s"] = round(cores / per_row)
        # Everything measured above for one row, on this machine's cores: still without HTTP,
        # JSON, responses, the WAL writer, checkpoints or autovacuum.
        per_row += build_cpu / items + client_cpu / written
        figures["cpu_bound_rows_per_s"] = round(cores / per_row)
    figures["measured_at_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return figures
