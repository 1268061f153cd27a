from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from app.main import create_app
from tests.conftest import FreshDatabases, make_settings
from tests.helpers import assert_problem


async def test_livez_and_readyz_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    live = await client.get("/livez")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


async def test_readyz_is_503_until_the_database_is_migrated(
    fresh_databases: FreshDatabases,
) -> None:
    url = await fresh_databases.create()
    app = create_app(make_settings(url), run_background=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            assert (await http.get("/livez")).status_code == 200
            body = assert_problem(await http.get("/readyz"), 503, "not-ready")
            assert "Retry-After" in (await http.get("/readyz")).headers
            assert body["detail"]
            await fresh_databases.migrate(url)
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    app = create_app(make_settings(url, db_pool_timeout_s=1), run_background=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            assert (await http.get("/livez")).status_code == 200
            assert_problem(await http.get("/readyz"), 503, "not-ready")
            # An API call answers 503 problem+json, not a 500.
            down = await http.get("/v1/lenders", headers={"Authorization": "Bearer x"})
            assert_problem(down, 503, "service-unavailable")
            assert down.headers["retry-after"]


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/v1/lenders/00000000-0000-0000-0000-000000000000")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert (
        'arrears_http_requests_total{method="GET",route="/v1/lenders/{lender_id}",status="401"}'
        in text
    )
    assert "arrears_http_request_duration_seconds_bucket" in text
