"""Shared pieces of the fault tests: direct database reads, write blockers, timing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import create_engine


async def counts(url: str, **queries: str) -> dict[str, Any]:
    """Run each named scalar query on a short-lived engine of its own."""
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as conn:
            return {name: (await conn.execute(text(sql))).scalar() for name, sql in queries.items()}
    finally:
        await engine.dispose()


@asynccontextmanager
async def writers_blocked(url: str) -> AsyncIterator[None]:
    """Hold the database's write lock (SQLite) or the debts table (PostgreSQL) until the block
    ends: writers wait, readers do not."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import asyncpg

    parsed = make_url(url)
    pg = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )
    try:
        transaction = pg.transaction()
        await transaction.start()
        await pg.execute("LOCK TABLE debts IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await pg.close()


async def wait_for(
    probe: Any, what: str, *, timeout_s: float = 10.0, interval_s: float = 0.05
) -> float:
    """Poll `await probe()` until it is true; the seconds it took. Bounded."""
    started = time.monotonic()
    while True:
        if await probe():
            return time.monotonic() - started
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(interval_s)


async def status_of(base: str, path: str, **kwargs: Any) -> int | None:
    """The status of one request on a new connection; None when it cannot connect."""
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            return (await http.get(path, **kwargs)).status_code
    except httpx.TransportError:
        return None
