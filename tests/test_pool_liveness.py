"""Pooled PostgreSQL connections the server closed are replaced on checkout, without an error.

`app.core.db` checks asyncpg's closed flag on every checkout (and pings connections idle for a
while) instead of SQLAlchemy's pre-ping round trips; these tests kill the service's backends
from outside, as a PostgreSQL restart or an administrator would, and expect the next requests
to succeed — through the ORM and through the driver-level statements of `app.core.pg`.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

import app.core.db as db
from tests.conftest import ADMIN, DB_KIND
from tests.helpers import create_lender

pytestmark = pytest.mark.skipif(DB_KIND != "postgres", reason="asyncpg connections only")


async def _terminate_service_backends(app: FastAPI) -> int:
    url = app.state.settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(url)
    try:
        killed = await conn.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'arrears' "
            "AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    await asyncio.sleep(0.3)  # the closed sockets reach asyncpg through the event loop
    return int(killed)


async def test_connections_killed_by_the_server_are_replaced_without_an_error(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    lender = await create_lender(client, "acme")
    path = f"/v1/lenders/{lender['id']}"
    assert (await client.get(path, headers=ADMIN)).status_code == 200

    assert await _terminate_service_backends(app) >= 1
    for _ in range(3):  # the API key is read on the driver, the lender through the ORM
        response = await client.get(path, headers=ADMIN)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == lender["id"]

    assert await _terminate_service_backends(app) >= 1
    renamed = await client.patch(path, json={"name": "Acme Renamed"}, headers=ADMIN)
    assert renamed.status_code == 200, renamed.text
    again = await client.get(path, headers=ADMIN)
    assert again.json()["name"] == "Acme Renamed"


async def test_only_connections_idle_past_the_limit_are_pinged(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    lender = await create_lender(client, "acme")
    pings: list[object] = []
    real_ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        pings.append(self)
        real_ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    path = f"/v1/lenders/{lender['id']}"
    for _ in range(3):  # busy connections: no round trip spent on pings
        assert (await client.get(path, headers=ADMIN)).status_code == 200
    assert pings == []

    # Pooled connections are pinged on checkout; a connection opened for the request is not.
    opened: list[object] = []
    engine = app.state.engine.sync_engine

    def on_connect(conn: object, _record: object) -> None:
        opened.append(conn)

    event.listen(engine, "connect", on_connect)
    try:
        monkeypatch.setattr(db, "IDLE_PING_AFTER_S", 0.0)
        for _ in range(4):
            assert (await client.get(path, headers=ADMIN)).status_code == 200
    finally:
        event.remove(engine, "connect", on_connect)
    assert len(pings) == 4 - len(opened) and pings
