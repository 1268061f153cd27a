"""Engine, metadata and the per-request unit of work, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from app.core import pg
from app.core.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option: a read-only unit of work (plain deferred BEGIN on SQLite).
READ_ONLY = "arrears_read_only"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _prepare_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE for writers so they queue instead of failing."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
IDLE_PING_AFTER_S = 10.0


def _check_liveness(engine: AsyncEngine) -> None:
    """What `pool_pre_ping` is for, without its round trips on every checkout.

    SQLAlchemy's pre-ping costs BEGIN, a ping and ROLLBACK on every checkout of a transactional
    connection (three round trips per request). Instead: asyncpg notices a server-closed socket
    (a PostgreSQL restart terminates every backend) and marks the connection closed, which is
    checked on every checkout for free; a connection that sat idle in the pool for more than
    `IDLE_PING_AFTER_S` (where a silent network drop could hide) gets a real ping. Either failure
    makes the pool discard it and connect afresh, so the service recovers by itself once
    PostgreSQL is back. A connection that dies in use raises a disconnect error, and SQLAlchemy
    then invalidates the whole pool.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the connection was closed by the server")
        idle_since = record.info.pop("idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_AFTER_S:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError("the connection did not answer a ping") from exc


def create_engine(settings: Settings) -> AsyncEngine:
    """The one engine of a process."""
    url = settings.database_url
    if settings.is_sqlite:
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _prepare_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {"server_settings": {"application_name": "arrears"}}
    if settings.db_statement_timeout_ms:
        connect_args["server_settings"]["statement_timeout"] = str(settings.db_statement_timeout_ms)
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        connect_args=connect_args,
    )
    _check_liveness(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session committed when the block ends cleanly and rolled back otherwise."""
    async with sessionmaker() as session:
        if read_only:
            # SQLite: a deferred BEGIN (readers never queue behind writers). PostgreSQL: autocommit,
            # which saves the BEGIN and COMMIT round trips; under READ COMMITTED every statement
            # sees its own snapshot either way. A read-only unit of work must not write.
            options: dict[str, Any] = {READ_ONLY: True}
            if session.get_bind().dialect.name == "postgresql":
                options["isolation_level"] = "AUTOCOMMIT"
                pg.remember(session, await session.connection(execution_options=options))
            else:
                await session.connection(execution_options=options)
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
