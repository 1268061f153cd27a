"""Schema and seed data of the baseline database (plain SQL, created by the runner)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

SCHEMA_SQL = """
CREATE TABLE debts (
    id              bigserial PRIMARY KEY,
    lender_id       bigint      NOT NULL,
    external_ref    text        NOT NULL,
    debtor_name     text        NOT NULL,
    product         text        NOT NULL,
    currency        char(3)     NOT NULL,
    principal_minor bigint      NOT NULL,
    balance_minor   bigint      NOT NULL,
    due_date        date        NOT NULL,
    status          text        NOT NULL DEFAULT 'active',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lender_id, external_ref)
);
CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    debt_id     bigint      NOT NULL REFERENCES debts (id),
    channel     text        NOT NULL,
    destination text        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_debt_id_occurred_at ON contacts (debt_id, occurred_at);
"""

# One flattened row per ingested debt item: `ingest` is fed by `/batch-copy`, `ingest_raw` by raw
# COPY.
INGEST_COLUMNS = (
    "lender_id",
    "external_ref",
    "debtor_ref",
    "debtor_kind",
    "debtor_name",
    "country",
    "subdivision",
    "city",
    "postal_code",
    "phones",
    "product",
    "currency",
    "principal_minor",
    "balance_minor",
    "due_date",
)
_INGEST_TABLE = """
CREATE TABLE {name} (
    id              bigserial PRIMARY KEY,
    lender_id       bigint  NOT NULL,
    external_ref    text    NOT NULL,
    debtor_ref      text    NOT NULL,
    debtor_kind     text    NOT NULL,
    debtor_name     text    NOT NULL,
    country         text    NOT NULL,
    subdivision     text,
    city            text    NOT NULL,
    postal_code     text    NOT NULL,
    phones          text[]  NOT NULL,
    product         text    NOT NULL,
    currency        char(3) NOT NULL,
    principal_minor bigint  NOT NULL,
    balance_minor   bigint  NOT NULL,
    due_date        date    NOT NULL
);
"""
INGEST_TABLES = ("ingest", "ingest_raw")


async def create_schema(conn: asyncpg.Connection) -> None:
    """Create every baseline table in an empty database."""
    await conn.execute(SCHEMA_SQL)
    for name in INGEST_TABLES:
        await conn.execute(_INGEST_TABLE.format(name=name))


async def seed_debts(conn: asyncpg.Connection, count: int) -> None:
    """COPY `count` debt rows with ids 1..count (the parents of `check-insert`, rows of `/row`)."""
    today = dt.date.today()
    rows = (
        (
            1,
            f"D{i:08d}",
            f"Debtor {i}",
            "credit_card",
            "USD",
            100_000 + i,
            50_000 + i,
            today - dt.timedelta(days=i % 400),
        )
        for i in range(1, count + 1)
    )
    await conn.copy_records_to_table(
        "debts",
        records=rows,
        columns=(
            "lender_id",
            "external_ref",
            "debtor_name",
            "product",
            "currency",
            "principal_minor",
            "balance_minor",
            "due_date",
        ),
    )
    await conn.execute("ANALYZE debts")


def flatten_item(lender_id: int, item: Any) -> tuple[Any, ...]:
    """One ingest row from a validated item (attribute access) or a raw dict (key access)."""
    get = item.get if isinstance(item, dict) else lambda k: getattr(item, k)
    debtor = get("debtor")
    dget = debtor.get if isinstance(debtor, dict) else lambda k: getattr(debtor, k)
    address = dget("address")
    aget = address.get if isinstance(address, dict) else lambda k: getattr(address, k)
    points: Iterable[Any] = dget("contact_points") or ()
    phones = [p["value"] if isinstance(p, dict) else p.value for p in points]
    due = get("due_date")
    return (
        lender_id,
        get("external_ref"),
        dget("external_ref"),
        dget("kind"),
        dget("name"),
        aget("country"),
        aget("subdivision"),
        aget("city"),
        aget("postal_code"),
        phones,
        get("product"),
        get("currency"),
        get("principal_minor"),
        get("balance_minor"),
        due if isinstance(due, dt.date) else dt.date.fromisoformat(due),
    )


async def copy_items(
    conn: asyncpg.Connection, table: str, lender_id: int, items: Sequence[Any]
) -> int:
    """COPY flattened items into an ingest table; returns the row count."""
    records = [flatten_item(lender_id, item) for item in items]
    await conn.copy_records_to_table(table, records=records, columns=INGEST_COLUMNS)
    return len(records)
