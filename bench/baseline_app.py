"""The bare baseline: FastAPI + a raw asyncpg pool doing only the unavoidable work.

Run by the bench runner with the same uvicorn settings as Arrears (uvloop, httptools, same worker
count). Schema and seed data are created by the runner (`bench.baseline_db`) before it starts.
Environment: `BASELINE_DATABASE_URL` (postgresql://...) and `BASELINE_POOL_SIZE` (connections
per worker, default 10).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import asyncpg
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from bench.baseline_db import copy_items

Ref = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Minor = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Address(Strict):
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    subdivision: Annotated[str | None, Field(max_length=10)] = None
    city: Name
    postal_code: Annotated[str, Field(max_length=20)]
    line1: Name | None = None


class ContactPoint(Strict):
    channel: Literal["phone", "email", "postal"]
    value: Annotated[str, Field(min_length=1, max_length=200)]
    type: Literal["cell", "home", "work", "personal", "other"] = "other"


class Debtor(Strict):
    external_ref: Ref
    kind: Literal["person", "company"]
    name: Name
    address: Address
    timezone: Annotated[str | None, Field(max_length=64)] = None
    contact_points: Annotated[list[ContactPoint], Field(max_length=20)] = []


class DebtItem(Strict):
    external_ref: Ref
    debtor: Debtor
    product: Literal[
        "credit_card",
        "personal_loan",
        "microloan",
        "bank_loan",
        "bnpl",
        "telecom_bill",
        "utility_bill",
        "enterprise_loan",
        "supply_chain",
        "other",
    ]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    principal_minor: Minor
    balance_minor: Minor
    due_date: dt.date


class DebtBatch(Strict):
    items: Annotated[list[DebtItem], Field(min_length=1, max_length=1000)]


class ContactIn(Strict):
    channel: Literal["phone", "sms", "email", "letter", "visit"]
    to: Annotated[str, Field(min_length=1, max_length=200)]


class DebtRow(BaseModel):
    id: int
    lender_id: int
    external_ref: str
    debtor_name: str
    product: str
    currency: str
    principal_minor: int
    balance_minor: int
    due_date: dt.date
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactOut(BaseModel):
    id: int
    debt_id: int
    channel: str
    to: str
    occurred_at: dt.datetime
    contacts_last_7_days: int


class Inserted(BaseModel):
    id: int


class Copied(BaseModel):
    copied: int


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ.get("BASELINE_POOL_SIZE", "10"))
    pool = await asyncpg.create_pool(
        os.environ["BASELINE_DATABASE_URL"], min_size=size, max_size=size
    )
    async with pool.acquire() as conn:
        app.state.max_debt_id = await conn.fetchval("SELECT coalesce(max(id), 0) FROM debts")
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(title="arrears-bench-baseline", lifespan=lifespan)


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/row/{debt_id}", response_model=DebtRow)
async def row(debt_id: int, request: Request) -> DebtRow:
    async with _pool(request).acquire() as conn:
        record = await conn.fetchrow("SELECT * FROM debts WHERE id = $1", debt_id)
    if record is None:
        raise HTTPException(status_code=404, detail="not found")
    return DebtRow(**dict(record))


@app.post("/insert", status_code=201, response_model=Inserted)
async def insert(item: DebtItem, request: Request) -> Inserted:
    async with _pool(request).acquire() as conn:
        new_id = await conn.fetchval(
            "INSERT INTO debts (lender_id, external_ref, debtor_name, product, currency,"
            " principal_minor, balance_minor, due_date)"
            " VALUES (2, $1 || '-' || nextval('debts_id_seq'), $2, $3, $4, $5, $6, $7)"
            " RETURNING id",
            item.external_ref,
            item.debtor.name,
            item.product,
            item.currency,
            item.principal_minor,
            item.balance_minor,
            item.due_date,
        )
    return Inserted(id=new_id)


@app.post("/check-insert", status_code=201, response_model=ContactOut)
async def check_insert(contact: ContactIn, request: Request) -> ContactOut:
    """Lock a random parent, count its children of the last 7 days (index), insert a child."""
    debt_id = random.randint(1, request.app.state.max_debt_id)
    async with _pool(request).acquire() as conn, conn.transaction():
        locked = await conn.fetchval("SELECT id FROM debts WHERE id = $1 FOR UPDATE", debt_id)
        if locked is None:
            raise HTTPException(status_code=404, detail="not found")
        recent = await conn.fetchval(
            "SELECT count(*) FROM contacts"
            " WHERE debt_id = $1 AND occurred_at > now() - interval '7 days'",
            debt_id,
        )
        record = await conn.fetchrow(
            "INSERT INTO contacts (debt_id, channel, destination) VALUES ($1, $2, $3)"
            " RETURNING id, occurred_at",
            debt_id,
            contact.channel,
            contact.to,
        )
    return ContactOut(
        id=record["id"],
        debt_id=debt_id,
        channel=contact.channel,
        to=contact.to,
        occurred_at=record["occurred_at"],
        contacts_last_7_days=recent,
    )


@app.post("/batch-copy", response_model=Copied)
async def batch_copy(batch: DebtBatch, request: Request) -> Copied:
    async with _pool(request).acquire() as conn:
        copied = await copy_items(conn, "ingest", 1, batch.items)
    return Copied(copied=copied)
