"""Idempotency-Key: replay, mismatch, malformed, expiry, and one execution under concurrency."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN, scalar
from tests.helpers import assert_problem


def with_key(key: str, **extra: str) -> dict[str, str]:
    return {**ADMIN, "Idempotency-Key": key, **extra}


async def test_same_key_same_body_replays_the_first_response(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    body = {"code": "acme", "name": "Acme"}
    first = await client.post("/v1/lenders", json=body, headers=with_key("k-1"))
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    second = await client.post("/v1/lenders", json=body, headers=with_key("k-1"))
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert await scalar(app, "SELECT count(*) FROM lenders") == 1


async def test_same_key_other_body_is_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.post("/v1/lenders", json={"code": "acme", "name": "Acme"}, headers=with_key("k-2"))
    other = await client.post(
        "/v1/lenders", json={"code": "globex", "name": "Globex"}, headers=with_key("k-2")
    )
    assert_problem(other, 422)
    assert await scalar(app, "SELECT count(*) FROM lenders") == 1


async def test_malformed_key_is_400(client: httpx.AsyncClient, app: FastAPI) -> None:
    # An empty key is refused rather than ignored: the client meant to send one.
    for key in [b"", b"x" * 256, "caf\u00e9".encode("latin-1"), b"tab\there"]:
        headers = [*ADMIN.items(), ("Idempotency-Key", key)]
        response = await client.post(
            "/v1/lenders", json={"code": "acme", "name": "Acme"}, headers=headers
        )
        assert_problem(response, 400)
    assert await scalar(app, "SELECT count(*) FROM lenders") == 0


async def test_keys_are_scoped_per_tenant_and_failed_requests_are_not_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bad = await client.post(
        "/v1/lenders", json={"code": "A!", "name": "x"}, headers=with_key("k-3")
    )
    assert_problem(bad, 422)
    good = await client.post(
        "/v1/lenders", json={"code": "acme", "name": "x"}, headers=with_key("k-3")
    )
    assert good.status_code == 201 and "idempotent-replayed" not in good.headers
    assert await scalar(app, "SELECT count(*) FROM idempotency_keys") == 1


async def test_key_expires_after_retention(client: httpx.AsyncClient, app: FastAPI) -> None:
    body = {"name": "Agent", "tier": "junior"}
    t0 = {"X-Arrears-Now": "2026-03-01T10:00:00Z"}
    first = await client.post("/v1/agents", json=body, headers=with_key("k-4", **t0))
    assert first.status_code == 201
    within = await client.post(
        "/v1/agents",
        json=body,
        headers=with_key("k-4", **{"X-Arrears-Now": "2026-03-02T09:59:00Z"}),
    )
    assert within.headers.get("idempotent-replayed") == "true"
    after = await client.post(
        "/v1/agents",
        json=body,
        headers=with_key("k-4", **{"X-Arrears-Now": "2026-03-02T10:00:01Z"}),
    )
    assert after.status_code == 201 and "idempotent-replayed" not in after.headers
    assert await scalar(app, "SELECT count(*) FROM agents") == 2


async def test_twenty_concurrent_requests_with_one_key_execute_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    body = {"code": "acme", "name": "Acme"}

    async def post() -> httpx.Response:
        return await client.post("/v1/lenders", json=body, headers=with_key("k-concurrent"))

    responses = await asyncio.gather(*(post() for _ in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    originals = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(originals) == 1
    for r in responses:
        if r.status_code == 409:
            assert_problem(r, 409, "idempotency-in-flight")
            assert r.headers["retry-after"]
        elif r.headers.get("idempotent-replayed") == "true":
            assert r.content == originals[0].content
    assert await scalar(app, "SELECT count(*) FROM lenders") == 1
    assert await scalar(app, "SELECT count(*) FROM idempotency_keys") == 1
    # After the race, a retry replays.
    retry = await post()
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
