"""A few hot, fixed PostgreSQL statements run straight on the session's asyncpg connection.

Through SQLAlchemy every statement costs 0.7–1 ms of CPU (cache-key walk, compile cache, result
set-up, the greenlet hop) against ~0.2 ms for the same query on asyncpg. The statements every
request runs (the API key lookup) and the single-statement facts of a compliance decision use this
module instead: the SQL is written once with `:name` parameters, turned into asyncpg's `$n` form at
import time, prepared once per connection by asyncpg's statement cache, and executed on the very
connection (and so in the very transaction, once one has begun) of the request's session.

Before the session's first statement through SQLAlchemy no transaction has begun on PostgreSQL
(the asyncpg dialect begins lazily), so a statement here then runs in autocommit: only reads that
need no lock may come first (the key lookup does). `begin=True` begins the session's transaction
first, for statements that must be inside it.

Errors: a connection that died underneath is invalidated (the pool replaces it) and answers 503
like any database outage; PostgreSQL's own errors propagate as `asyncpg` exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core.errors import ServiceUnavailable

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


class PgStatement:
    """One SQL text with `:name` parameters, executed by asyncpg with positional `$n` ones."""

    __slots__ = ("names", "sql")

    def __init__(self, sql: str) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.sql = _PARAM.sub(number, sql)
        self.names = tuple(names)

    async def fetchrow(
        self, session: AsyncSession, params: Mapping[str, Any], *, begin: bool = False
    ) -> Any:
        return await self._run("fetchrow", session, params, begin)

    async def fetch(
        self, session: AsyncSession, params: Mapping[str, Any], *, begin: bool = False
    ) -> list[Any]:
        rows: list[Any] = await self._run("fetch", session, params, begin)
        return rows

    async def _run(
        self, method: str, session: AsyncSession, params: Mapping[str, Any], begin: bool
    ) -> Any:
        conn, driver = await _driver(session, begin=begin)
        try:
            return await getattr(driver, method)(self.sql, *[params[n] for n in self.names])
        except BaseException:
            await _invalidate_if_closed(conn, driver)
            raise


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session (in its transaction once one has begun)."""
    return (await _driver(session, begin=False))[1]


_CACHE_KEY = "arrears.pg_connection"


def remember(session: AsyncSession, conn: AsyncConnection) -> tuple[Any, AsyncConnection, Any, Any]:
    """Keep the session's connection for the rest of its transaction (see `_driver`)."""
    sync = conn.sync_connection
    assert sync is not None  # a connection the session handed out is started
    fairy = sync.connection  # a checked-out, live connection: no I/O, no greenlet hop
    entry = (
        session.sync_session.get_transaction(),
        conn,
        fairy.dbapi_connection,
        fairy.driver_connection,
    )
    session.info[_CACHE_KEY] = entry
    return entry


async def _driver(session: AsyncSession, *, begin: bool) -> tuple[AsyncConnection, Any]:
    # Every hop into SQLAlchemy's sync layer is a greenlet switch; a request runs several
    # statements in one session transaction, so the connection is kept for that transaction
    # (a commit or rollback ends it, and the next statement asks SQLAlchemy again).
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if cached is None or transaction is not cached[0] or not transaction.is_active:
        cached = remember(session, await session.connection())
    _, conn, adapted, driver = cached
    await _invalidate_if_closed(conn, driver)
    if begin and adapted._transaction is None and adapted.isolation_level != "autocommit":
        # The dialect's own lazy BEGIN, taken now; its COMMIT/ROLLBACK end it as usual.
        await adapted._start_transaction()
    return conn, driver


async def _invalidate_if_closed(conn: AsyncConnection, driver: Any) -> None:
    if driver.is_closed():
        await conn.invalidate()
        raise ServiceUnavailable("The database is unavailable; retry shortly.")
