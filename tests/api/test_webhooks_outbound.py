"""Webhook endpoints (lenders) and the outbox rows written with the changes that cause them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN, scalar
from tests.debts_helpers import debt_item
from tests.helpers import assert_problem, bearer, create_key, create_lender

NOW = {"X-Arrears-Now": "2026-03-01T12:00:00Z"}


@pytest.fixture
async def acme(client: httpx.AsyncClient) -> dict[str, str]:
    lender = await create_lender(client, "acme")
    key = await create_key(client, "lender", lender_id=lender["id"])
    return {"id": lender["id"], "key": key["key"]}


async def _endpoint(
    client: httpx.AsyncClient, acme: dict[str, str], types: list[str]
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://hooks.example.com/arrears", "event_types": types},
        headers=bearer(acme["key"]),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_endpoint_lifecycle_and_tenancy(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    created = await _endpoint(client, acme, ["debt.created", "payment.received"])
    assert created["secret"].startswith("whsec_") and created["lender_id"] == acme["id"]
    assert created["event_types"] == ["debt.created", "payment.received"]
    stored = str(await scalar(app, "SELECT secret_encrypted FROM webhook_endpoints"))
    assert created["secret"] not in stored
    mine = bearer(acme["key"])
    one = await client.get(f"/v1/webhook-endpoints/{created['id']}", headers=mine)
    assert one.status_code == 200 and "secret" not in one.json()
    listed = await client.get("/v1/webhook-endpoints", headers=mine)
    assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
    other = await create_lender(client, "other")
    other_key = bearer((await create_key(client, "lender", lender_id=other["id"]))["key"])
    assert_problem(
        await client.get(f"/v1/webhook-endpoints/{created['id']}", headers=other_key), 404
    )
    assert (await client.get("/v1/webhook-endpoints", headers=other_key)).json()["items"] == []
    assert_problem(
        await client.delete(f"/v1/webhook-endpoints/{created['id']}", headers=other_key), 404
    )
    viewer = bearer((await create_key(client, "viewer", lender_id=acme["id"]))["key"])
    assert (await client.get("/v1/webhook-endpoints", headers=viewer)).status_code == 200
    denied = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://x.example.com", "event_types": ["debt.created"]},
        headers=viewer,
    )
    assert_problem(denied, 403)
    deleted = await client.delete(f"/v1/webhook-endpoints/{created['id']}", headers=mine)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/v1/webhook-endpoints/{created['id']}", headers=mine), 404)
    assert (await client.get("/v1/webhook-endpoints", headers=mine)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": "https://x.example.com", "event_types": ["debt.deleted"]}, "#/event_types/0"),
        ({"url": "ftp://x.example.com", "event_types": ["debt.created"]}, "#/url"),
        ({"url": "not a url", "event_types": ["debt.created"]}, "#/url"),
        ({"url": "https://x.example.com", "event_types": []}, "#/event_types"),
    ],
)
async def test_invalid_endpoints_are_422(
    client: httpx.AsyncClient, acme: dict[str, str], body: dict[str, Any], pointer: str
) -> None:
    response = await client.post("/v1/webhook-endpoints", json=body, headers=bearer(acme["key"]))
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["pointer"] == pointer


async def test_admin_names_the_lender(client: httpx.AsyncClient, acme: dict[str, str]) -> None:
    body = {"url": "https://x.example.com", "event_types": ["debt.created"]}
    assert_problem(await client.post("/v1/webhook-endpoints", json=body, headers=ADMIN), 422)
    response = await client.post(
        "/v1/webhook-endpoints", json={**body, "lender_id": acme["id"]}, headers=ADMIN
    )
    assert response.status_code == 201 and response.json()["lender_id"] == acme["id"]


async def test_changes_write_outbox_rows_for_subscribed_types_only(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    endpoint = await _endpoint(
        client, acme, ["debt.created", "payment.received", "debt.status_changed"]
    )
    await _endpoint(client, acme, ["payment.received"])
    mine = {**bearer(acme["key"]), **NOW}
    debt = (await client.post("/v1/debts", json=debt_item("D-1"), headers=mine)).json()
    rejected = await client.post("/v1/debts", json=debt_item("D-2", currency="usd"), headers=mine)
    assert rejected.status_code == 422  # rolled back: no event either
    payment = {
        "amount_minor": 120_000,
        "currency": "USD",
        "paid_at": "2026-03-01T10:00:00Z",
        "external_ref": "P-1",
    }
    paid = await client.post(f"/v1/debts/{debt['id']}/payments", json=payment, headers=mine)
    assert paid.status_code == 201
    replay = await client.post(f"/v1/debts/{debt['id']}/payments", json=payment, headers=mine)
    assert replay.status_code == 200  # a replayed payment is no new event
    deliveries = await client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=mine
    )
    rows = deliveries.json()["items"]
    assert sorted(r["event_type"] for r in rows) == [
        "debt.created",
        "debt.status_changed",
        "payment.received",
    ]
    assert all(r["status"] == "pending" and r["attempts"] == 0 for r in rows)
    by_type = {r["event_type"]: r for r in rows}
    sql = "SELECT count(*) FROM webhook_deliveries WHERE event_type = 'payment.received'"
    assert await scalar(app, sql) == 2  # one per subscribed endpoint
    shared = "SELECT count(DISTINCT event_id) FROM webhook_deliveries WHERE event_type = 'payment.received'"
    assert await scalar(app, shared) == 1  # ... of the same event (one webhook-id)
    status_payload = await scalar(
        app, "SELECT payload FROM webhook_deliveries WHERE event_type = 'debt.status_changed'"
    )
    assert "paid" in str(status_payload) and by_type["debt.created"]["next_attempt_at"] is not None


async def test_deleting_an_endpoint_cancels_what_it_has_not_received(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    endpoint = await _endpoint(client, acme, ["debt.created"])
    mine = {**bearer(acme["key"]), **NOW}
    await client.post("/v1/debts", json=debt_item("D-1"), headers=mine)
    assert (
        await client.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=mine)
    ).status_code == 204
    assert await scalar(app, "SELECT status FROM webhook_deliveries") == "cancelled"
    await client.post("/v1/debts", json=debt_item("D-2"), headers=mine)
    assert await scalar(app, "SELECT count(*) FROM webhook_deliveries") == 1


async def test_patch_status_emits_status_changed(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    await _endpoint(client, acme, ["debt.status_changed"])
    mine = {**bearer(acme["key"]), **NOW}
    debt = (await client.post("/v1/debts", json=debt_item("D-1"), headers=mine)).json()
    patched = await client.patch(
        f"/v1/debts/{debt['id']}", json={"status": "recalled"}, headers=mine
    )
    assert patched.status_code == 200
    payload = await scalar(app, "SELECT payload FROM webhook_deliveries")
    assert "recalled" in str(payload) and "manual" in str(payload)
