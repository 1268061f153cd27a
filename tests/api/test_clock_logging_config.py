from __future__ import annotations

import io
import json

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import ValidationError

from app.core.config import Settings
from app.core.logging import configure_logging
from app.main import create_app
from tests.conftest import ADMIN, make_settings
from tests.helpers import assert_problem, create_key, create_lender


async def test_test_clock_sets_now_only_in_test_env(
    client: httpx.AsyncClient, database_url: str
) -> None:
    lender = await create_lender(client, "acme")
    key = await create_key(client, "lender", lender_id=lender["id"])
    headers = {**ADMIN, "X-Arrears-Now": "2030-01-02T03:04:05+02:00"}
    assert (await client.delete(f"/v1/api-keys/{key['id']}", headers=headers)).status_code == 204
    keys = (await client.get("/v1/api-keys", headers=ADMIN)).json()["items"]
    revoked = next(k for k in keys if k["id"] == key["id"])
    assert revoked["revoked_at"] == "2030-01-02T01:04:05Z"
    third = await create_key(client, "lender", lender_id=lender["id"])
    bad_clock = {**ADMIN, "X-Arrears-Now": "yesterday"}
    assert_problem(await client.delete(f"/v1/api-keys/{third['id']}", headers=bad_clock), 400)

    # Outside the test environment the header is ignored.
    app = create_app(make_settings(database_url, env="dev"), run_background=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            other = await create_key(http, "lender", lender_id=lender["id"])
            await http.delete(f"/v1/api-keys/{other['id']}", headers=headers)
            keys = (await http.get("/v1/api-keys", headers=ADMIN)).json()["items"]
    stored = next(k for k in keys if k["id"] == other["id"])
    assert not stored["revoked_at"].startswith("2030")


async def test_one_json_log_line_per_request_without_personal_data(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        secret_name = "Jane Q. Debtor"
        await client.post(
            "/v1/lenders",
            json={"code": "acme", "name": secret_name},
            headers={**ADMIN, "X-Request-ID": "log-1"},
        )
        await client.get("/v1/lenders/not-a-uuid", headers={**ADMIN, "X-Request-ID": "log-2"})
    finally:
        configure_logging("WARNING")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line.get("event") == "request"]
    assert [a["request_id"] for a in access] == ["log-1", "log-2"]
    assert access[0]["route"] == "/v1/lenders" and access[0]["status"] == 201
    assert access[1]["route"] == "/v1/lenders/{lender_id}" and access[1]["status"] == 422
    assert all(a["principal_id"] for a in access)
    assert all(isinstance(a["duration_ms"], float) for a in access)
    assert secret_name not in stream.getvalue()


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ValidationError, match="ARREARS_SECRET_KEY"):
        Settings(env="production")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="BOOTSTRAP_ADMIN_KEY"):
        Settings(
            env="production",  # type: ignore[arg-type]
            secret_key="s" * 40,  # type: ignore[arg-type]
            data_key="d" * 44,  # type: ignore[arg-type]
            bootstrap_admin_key="short",  # type: ignore[arg-type]
        )
    ok = Settings(env="production", secret_key="s" * 40, data_key="d" * 44)  # type: ignore[arg-type]
    assert ok.env == "production"


def test_settings_come_from_arrears_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARREARS_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("ARREARS_BACKGROUND", "off")
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://u@h/db" and settings.background == "off"
    monkeypatch.delenv("ARREARS_DATABASE_URL")
    assert Settings().database_url == "sqlite+aiosqlite:///./var/arrears.db"
