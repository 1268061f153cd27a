"""Per-key rate limiting: 429 with Retry-After once a key's bucket is empty; admin exempt by default."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.core.config import Settings
from app.core.ratelimit import RateLimited, RateLimiter
from app.core.roles import Role
from app.main import create_app
from tests.conftest import ADMIN, make_settings, reset_database
from tests.helpers import assert_problem, bearer, create_key, create_lender


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(make_settings(database_url, rate_limit_per_minute=3))
    async with LifespanManager(application):
        await reset_database(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_a_key_over_its_limit_gets_429_with_retry_after(limited: httpx.AsyncClient) -> None:
    lender = await create_lender(limited, "acme")
    key = bearer((await create_key(limited, "lender", lender_id=lender["id"]))["key"])
    for _ in range(3):
        assert (await limited.get("/v1/debts", headers=key)).status_code == 200
    refused = await limited.get("/v1/debts", headers=key)
    body = assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1 and "retry" in body["detail"]
    # The bucket is per key: another key of the same lender still gets through.
    other = bearer((await create_key(limited, "lender", lender_id=lender["id"]))["key"])
    assert (await limited.get("/v1/debts", headers=other)).status_code == 200


async def test_admin_is_exempt_by_default(limited: httpx.AsyncClient) -> None:
    for _ in range(10):
        assert (await limited.get("/v1/lenders", headers=ADMIN)).status_code == 200


async def test_admin_is_limited_when_configured(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_per_minute=2, rate_limit_admin=True)
    application: FastAPI = create_app(settings)
    async with LifespanManager(application):
        await reset_database(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            statuses = [
                (await http.get("/v1/lenders", headers=ADMIN)).status_code for _ in range(3)
            ]
    assert statuses == [200, 200, 429]


def test_the_bucket_refills_at_the_configured_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one token a second, bursts of 60
    key = uuid.uuid4()
    for _ in range(60):
        limiter.take(key, Role.LENDER)
    with pytest.raises(RateLimited) as refused:
        limiter.take(key, Role.LENDER)
    assert refused.value.headers == {"Retry-After": "1"}
    now[0] += 1.0
    limiter.take(key, Role.LENDER)
    with pytest.raises(RateLimited):
        limiter.take(key, Role.LENDER)


def test_zero_turns_it_off_and_the_default_is_documented() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.take(uuid.uuid4(), Role.LENDER)
    assert Settings().rate_limit_per_minute == 600 and Settings().rate_limit_admin is False
