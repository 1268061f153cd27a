"""Test harness: a real database built by the migrations, the app with its lifespan, a client.

The suite runs once per database: `ARREARS_TEST_DB=sqlite` (default, a temporary file) or
`ARREARS_TEST_DB=postgres` (a fresh database on `ARREARS_TEST_POSTGRES_URL`, dropped at the end).

Isolation: every test starts from empty tables (deleted before the test, so a failed test leaves
nothing behind for the next). Requests commit for real, exactly as in production, which is what
the concurrency and idempotency tests need; outer-transaction rollback would hide those commits.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url

from app.apikeys import service as keys_service
from app.core.config import Settings
from app.core.deps import session_scope
from app.core.health import alembic_config
from app.main import create_app
from app.models import metadata

DB_KIND = os.environ.get("ARREARS_TEST_DB", "sqlite")
POSTGRES_SERVER_URL = os.environ.get(
    "ARREARS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
ADMIN_KEY = "test-bootstrap-admin-key-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def pytest_report_header() -> str:
    return f"arrears database: {DB_KIND}"


async def _admin_sql(server_url: str, sql: str) -> None:
    import asyncpg

    url = make_url(server_url)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def new_database_url(tmp_dir: Path) -> tuple[str, str | None]:
    """A fresh, empty database of the suite's kind: (url, postgres database name or None)."""
    if DB_KIND == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_dir / f'arrears-{uuid.uuid4().hex[:8]}.db'}", None
    if DB_KIND != "postgres":
        raise RuntimeError(f"unknown ARREARS_TEST_DB={DB_KIND!r}")
    name = f"arrears_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_sql(POSTGRES_SERVER_URL, f'CREATE DATABASE "{name}"'))
    return make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(False), name


def drop_database(name: str | None) -> None:
    if name is not None:
        asyncio.run(
            _admin_sql(POSTGRES_SERVER_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, name = new_database_url(tmp_path_factory.mktemp("db"))
    try:
        migrate(url)
        yield url
    finally:
        drop_database(name)


class FreshDatabases:
    """Extra empty (unmigrated) databases for a test, dropped at the end of the session."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    async def create(self) -> str:
        if DB_KIND == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp_dir / f'extra-{uuid.uuid4().hex[:8]}.db'}"
        name = f"arrears_test_{uuid.uuid4().hex[:12]}"
        await _admin_sql(POSTGRES_SERVER_URL, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(False)

    async def migrate(self, url: str) -> None:
        # Alembic's env.py runs its own event loop; give it a thread of its own.
        await asyncio.to_thread(migrate, url)


@pytest.fixture(scope="session")
def fresh_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDatabases]:
    databases = FreshDatabases(tmp_path_factory.mktemp("extra"))
    yield databases
    for name in databases.created:
        drop_database(name)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "bootstrap_admin_key": ADMIN_KEY,
        "background": "off",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, run_background=False)
    async with LifespanManager(application):
        yield application


async def reset_database(application: FastAPI) -> None:
    """Empty every table, then restore the bootstrap admin key."""
    async with session_scope(application.state.sessionmaker) as session:
        for table in reversed(metadata.sorted_tables):
            await session.execute(delete(table))
        await keys_service.ensure_bootstrap_admin(session, ADMIN_KEY)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    await reset_database(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def db(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[object]:
    """Direct read access to the database, for asserting on what the API stored."""
    async with app.state.sessionmaker() as session:
        yield session


async def scalar(app: FastAPI, sql: str, **params: object) -> object:
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()
