"""The `arrears` console script against a real database."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys

import httpx
from asgi_lifespan import LifespanManager

from app.main import create_app, create_served_app
from tests.conftest import FreshDatabases, make_settings
from tests.helpers import bearer


async def arrears(*args: str, url: str) -> tuple[int, str, str]:
    env = {**os.environ, "ARREARS_DATABASE_URL": url, "ARREARS_ENV": "test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_migrate_then_create_key_prints_a_working_key(
    fresh_databases: FreshDatabases,
) -> None:
    url = await fresh_databases.create()
    code, _, err = await arrears("migrate", url=url)
    assert code == 0, err
    app = create_app(make_settings(url), run_background=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            assert (await http.get("/readyz")).status_code == 200
            code, out, err = await arrears("create-key", "--role", "admin", url=url)
            assert code == 0, err
            admin_key = out.strip()
            created = await http.post(
                "/v1/lenders", json={"code": "acme", "name": "Acme"}, headers=bearer(admin_key)
            )
            assert created.status_code == 201
            code, out, err = await arrears(
                "create-key", "--role", "lender", "--lender", "acme", url=url
            )
            assert code == 0, err
            lender_key = out.strip()
            own = await http.get(f"/v1/lenders/{created.json()['id']}", headers=bearer(lender_key))
            assert own.status_code == 200
            code, _, err = await arrears("create-key", "--role", "lender", url=url)
            assert code == 2 and "lender_id" in err
            code, out, _ = await arrears("sweep", url=url)
            assert code == 0 and json.loads(out)["idempotency_keys_expired"] == 0


async def test_demo_creates_a_portfolio_and_working_keys(fresh_databases: FreshDatabases) -> None:
    url = await fresh_databases.create()
    await fresh_databases.migrate(url)
    code, out, err = await arrears("demo", "--debts", "25", url=url)
    assert code == 0, err
    result = json.loads(out)
    assert result["debts"] == {"created": 25, "updated": 0, "unchanged": 0, "rejected": 0}
    app = create_app(make_settings(url), run_background=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            debts = await http.get(
                "/v1/debts", params={"limit": 100}, headers=bearer(result["keys"]["lender"])
            )
            assert debts.status_code == 200 and len(debts.json()["items"]) == 25
            agent = await http.get(
                "/v1/debts", params={"limit": 1}, headers=bearer(result["keys"]["agent"])
            )
            assert agent.status_code == 200
    # Run again: the same debts are unchanged.
    code, out, _ = await arrears("demo", "--debts", "25", url=url)
    assert json.loads(out)["debts"]["unchanged"] == 25


async def test_the_served_app_freezes_its_startup_heap(database_url: str) -> None:
    """`arrears serve`'s app moves what startup built out of the collector's full collections."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = create_served_app(make_settings(database_url))
    try:
        async with LifespanManager(app):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
