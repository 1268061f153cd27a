"""Telecom webhooks in: signatures, rotation, exactly-once effects, refusals that are never 5xx."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN, scalar
from tests.helpers import assert_problem, bearer, create_key, create_lender
from tests.webhooks_helpers import (
    create_source,
    event_body,
    overdue_data,
    post_webhook,
    signed_headers,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
async def telco(client: httpx.AsyncClient) -> dict[str, Any]:
    lender = await create_lender(client, "telco")
    source = await create_source(client, lender["id"])
    return {"lender": lender, "source": source}


async def _overdue(client: httpx.AsyncClient, source: dict[str, Any], ref: str = "BILL-1") -> None:
    response = await post_webhook(
        client, source, f"wh-{ref}", event_body("bill.overdue", overdue_data(ref)), T0
    )
    assert response.status_code == 204, response.text


async def test_source_secret_is_shown_once_and_stored_encrypted(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    assert source["secret"].startswith("whsec_") and source["lender_id"] == telco["lender"]["id"]
    listed = await client.get("/v1/webhook-sources", headers=ADMIN)
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [source["id"]]
    assert "secret" not in listed.json()["items"][0] and source["secret"] not in listed.text
    stored = str(await scalar(app, "SELECT secret_encrypted FROM webhook_sources"))
    assert source["secret"] not in stored and len(stored) > 50
    lender_key = await create_key(client, "lender", lender_id=telco["lender"]["id"])
    forbidden = await client.post(
        "/v1/webhook-sources",
        json={"lender_id": telco["lender"]["id"], "name": "x"},
        headers=bearer(lender_key["key"]),
    )
    assert_problem(forbidden, 403)
    unknown = await client.post(
        "/v1/webhook-sources",
        json={"lender_id": "00000000-0000-0000-0000-000000000000", "name": "x"},
        headers=ADMIN,
    )
    assert_problem(unknown, 422)


async def test_bill_overdue_is_applied_once_and_a_repeat_is_a_quiet_204(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    body = event_body("bill.overdue", overdue_data("BILL-1"))
    first = await post_webhook(client, source, "wh-1", body, T0)
    assert first.status_code == 204, first.text
    assert first.content == b""
    debts = await client.get("/v1/debts", headers={**ADMIN, "X-Arrears-Now": T0.isoformat()})
    [debt] = debts.json()["items"]
    assert debt["product"] == "telecom_bill" and debt["lender_id"] == telco["lender"]["id"]
    assert debt["external_ref"] == "BILL-1" and debt["balance_minor"] == 8_999
    # The same webhook-id with another (validly signed) body is still the same event: not applied.
    changed = event_body("bill.overdue", overdue_data("BILL-1", balance_minor=1))
    again = await post_webhook(client, source, "wh-1", changed, T0 + timedelta(seconds=30))
    assert again.status_code == 204
    assert await scalar(app, "SELECT balance_minor FROM debts") == 8_999
    assert await scalar(app, "SELECT count(*) FROM webhook_events") == 1
    assert await scalar(app, "SELECT status FROM webhook_events") == "applied"
    assert await scalar(app, "SELECT event_type FROM webhook_events") == "bill.overdue"
    assert bytes(await scalar(app, "SELECT body FROM webhook_events")) == body  # type: ignore[arg-type]
    events = await client.get(f"/v1/debts/{debt['id']}/events", headers=ADMIN)
    assert [e["type"] for e in events.json()["items"]] == ["debt.created"]
    assert events.json()["items"][0]["actor"] == f"webhook:{source['id']}"


async def test_fifty_concurrent_deliveries_of_one_webhook_id_apply_once(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    await _overdue(client, source)
    endpoint = await client.post(
        "/v1/webhook-endpoints",
        json={
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["payment.received"],
            "lender_id": telco["lender"]["id"],
        },
        headers=ADMIN,
    )
    assert endpoint.status_code == 201, endpoint.text
    paid = {
        "debt_external_ref": "BILL-1",
        "amount_minor": 1_000,
        "currency": "USD",
        "paid_at": "2026-03-01T11:00:00Z",
        "external_ref": "PAY-1",
    }
    body = event_body("bill.paid", paid)
    responses = await asyncio.gather(
        *(post_webhook(client, source, "wh-paid-1", body, T0) for _ in range(50))
    )
    assert [r.status_code for r in responses] == [204] * 50, {r.text for r in responses}
    assert (
        await scalar(app, "SELECT count(*) FROM webhook_events WHERE webhook_id = 'wh-paid-1'") == 1
    )
    assert await scalar(app, "SELECT count(*) FROM payments") == 1
    assert await scalar(app, "SELECT balance_minor FROM debts") == 7_999
    received = "SELECT count(*) FROM debt_events WHERE type = 'payment.received'"
    assert await scalar(app, received) == 1
    assert await scalar(app, "SELECT count(*) FROM webhook_deliveries") == 1


async def test_payment_adjustment_and_closing(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    await _overdue(client, source)
    adjusted = event_body(
        "bill.adjusted", {"debt_external_ref": "BILL-1", "balance_minor": 5_000, "reason": "credit"}
    )
    assert (await post_webhook(client, source, "wh-adj", adjusted, T0)).status_code == 204
    assert await scalar(app, "SELECT balance_minor FROM debts") == 5_000
    paid = {
        "debt_external_ref": "BILL-1",
        "amount_minor": 5_000,
        "currency": "USD",
        "paid_at": "2026-03-01T11:00:00Z",
        "external_ref": "PAY-9",
        "method": "wallet",
    }
    paid_body = event_body("bill.paid", paid)
    assert (await post_webhook(client, source, "wh-pay", paid_body, T0)).status_code == 204
    assert await scalar(app, "SELECT status FROM debts") == "paid"
    assert await scalar(app, "SELECT method FROM payments") == "wallet"
    # A restated balance reopens the paid debt.
    reopened = event_body(
        "bill.adjusted", {"debt_external_ref": "BILL-1", "balance_minor": 700, "reason": "late fee"}
    )
    assert (await post_webhook(client, source, "wh-adj-2", reopened, T0)).status_code == 204
    assert await scalar(app, "SELECT status FROM debts") == "active"
    closed = event_body(
        "account.closed", {"debt_external_ref": "BILL-1", "closed_at": "2026-03-01T10:00:00Z"}
    )
    assert (await post_webhook(client, source, "wh-close", closed, T0)).status_code == 204
    assert await scalar(app, "SELECT status FROM debts") == "closed"
    again = await post_webhook(client, source, "wh-close-2", closed, T0)
    assert again.status_code == 204  # closing a closed account changes nothing
    debt_id = await scalar(app, "SELECT id FROM debts")
    events = (await client.get(f"/v1/debts/{debt_id}/events?limit=50", headers=ADMIN)).json()
    types = [e["type"] for e in events["items"]]
    assert types.count("debt.balance_adjusted") == 2
    statuses = [
        (e["data"]["before"], e["data"]["after"])
        for e in events["items"]
        if e["type"] == "debt.status_changed"
    ]
    assert statuses == [("active", "paid"), ("paid", "active"), ("active", "closed")]
    assert events["items"][-1]["data"]["closed_at"] == "2026-03-01T10:00:00+00:00"


@pytest.mark.parametrize(
    ("case", "shift"),
    [
        ("altered body", 0),
        ("wrong secret", 0),
        ("other source's secret", 0),
        ("six minutes old", -360),
        ("six minutes ahead", 360),
    ],
)
async def test_forged_or_stale_webhooks_are_401_and_leave_nothing(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any], case: str, shift: int
) -> None:
    source = telco["source"]
    other = await create_source(client, telco["lender"]["id"], "Other telco")
    body = event_body("bill.overdue", overdue_data("BILL-1"))
    secret = source["secret"]
    if case == "wrong secret":
        secret = "whsec_" + "A" * 43 + "="
    if case == "other source's secret":
        secret = other["secret"]
    at = T0 + timedelta(seconds=shift)
    headers = signed_headers(secret, "wh-x", body, at)
    headers["X-Arrears-Now"] = T0.isoformat()
    sent = body.replace(b"8999", b"9999") if case == "altered body" else body
    response = await client.post(
        f"/v1/webhooks/telecom/{source['id']}", content=sent, headers=headers
    )
    assert_problem(response, 401, "invalid-webhook-signature")
    assert await scalar(app, "SELECT count(*) FROM webhook_events") == 0
    assert await scalar(app, "SELECT count(*) FROM debts") == 0


async def test_several_signatures_and_the_tolerance_edge_are_accepted(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    body = event_body("bill.overdue", overdue_data("BILL-1"))
    at = T0 - timedelta(minutes=4, seconds=59)
    headers = signed_headers("whsec_" + "B" * 43 + "=", "wh-multi", body, at, source["secret"])
    headers["X-Arrears-Now"] = T0.isoformat()
    response = await client.post(
        f"/v1/webhooks/telecom/{source['id']}", content=body, headers=headers
    )
    assert response.status_code == 204, response.text
    assert await scalar(app, "SELECT count(*) FROM debts") == 1


async def test_rotated_secret_is_accepted_for_24_hours(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    old = source["secret"]
    rotated = await client.post(
        f"/v1/webhook-sources/{source['id']}/rotate",
        headers={**ADMIN, "X-Arrears-Now": T0.isoformat()},
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated.json()["previous_secret_expires_at"] == "2026-03-02T12:00:00Z"
    body = event_body("bill.overdue", overdue_data("BILL-1"))
    later = T0 + timedelta(hours=23, minutes=59)
    ok_old = await post_webhook(client, source, "wh-old", body, later, secret=old)
    assert ok_old.status_code == 204, ok_old.text
    expired = T0 + timedelta(hours=24, minutes=1)
    refused = await post_webhook(client, source, "wh-old-2", body, expired, secret=old)
    assert_problem(refused, 401)
    ok_new = await post_webhook(client, source, "wh-new", body, expired, secret=new)
    assert ok_new.status_code == 204
    assert await scalar(app, "SELECT count(*) FROM webhook_events") == 2
    missing = await client.post(
        "/v1/webhook-sources/00000000-0000-0000-0000-000000000000/rotate", headers=ADMIN
    )
    assert_problem(missing, 404)


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-signature": "garbage"},
        {"webhook-signature": "v1,@@@not-base64@@@"},
        {"webhook-signature": "v1,"},
        {"webhook-timestamp": "yesterday"},
        {"webhook-timestamp": "99999999999999999999"},
        {"webhook-id": "x" * 256},
        {"webhook-id": ""},
        {"webhook-signature": ""},
    ],
)
async def test_malformed_headers_are_4xx_never_5xx(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any], change: dict[str, str]
) -> None:
    source = telco["source"]
    body = event_body("bill.overdue", overdue_data("BILL-1"))
    headers = {**signed_headers(source["secret"], "wh-1", body, T0), **change}
    headers["X-Arrears-Now"] = T0.isoformat()
    response = await client.post(
        f"/v1/webhooks/telecom/{source['id']}", content=body, headers=headers
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await scalar(app, "SELECT count(*) FROM webhook_events") == 0


async def test_non_utf8_body_and_unknown_source(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    body = b'{"type": "bill.overdue", "data": "\xff\xfe"}'
    headers = signed_headers(source["secret"], "wh-1", b"{}", T0)
    headers["X-Arrears-Now"] = T0.isoformat()
    response = await client.post(
        f"/v1/webhooks/telecom/{source['id']}", content=body, headers=headers
    )
    assert_problem(response, 400, "malformed-webhook")
    unknown = await client.post(
        "/v1/webhooks/telecom/00000000-0000-0000-0000-000000000000", content=b"{}", headers=headers
    )
    assert_problem(unknown, 404)
    not_uuid = await client.post("/v1/webhooks/telecom/nope", content=b"{}", headers=headers)
    assert 400 <= not_uuid.status_code < 500
    assert await scalar(app, "SELECT count(*) FROM webhook_events") == 0


async def test_validly_signed_invalid_bodies_are_422_and_stored_rejected(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    bad_debt = event_body("bill.overdue", overdue_data("BILL-1", currency="usd"))
    response = await post_webhook(client, source, "wh-bad", bad_debt, T0)
    body = assert_problem(response, 422, "webhook-event-rejected")
    assert body["errors"][0]["pointer"] == "#/data/currency"
    unknown_debt = event_body(
        "bill.paid",
        {
            "debt_external_ref": "NOPE",
            "amount_minor": 5,
            "currency": "USD",
            "paid_at": "2026-03-01T11:00:00Z",
            "external_ref": "P",
        },
    )
    response = await post_webhook(client, source, "wh-nodebt", unknown_debt, T0)
    assert assert_problem(response, 422)["errors"][0]["pointer"] == "#/data/debt_external_ref"
    not_json = await post_webhook(client, source, "wh-nojson", b"{not json", T0)
    assert_problem(not_json, 422)
    no_type = await post_webhook(client, source, "wh-notype", b'{"data": {}}', T0)
    assert assert_problem(no_type, 422)["errors"][0]["pointer"] == "#/type"
    rows = await scalar(app, "SELECT count(*) FROM webhook_events WHERE status = 'rejected'")
    assert rows == 4
    assert await scalar(app, "SELECT count(*) FROM debts") == 0
    # A repeat of a rejected webhook-id is a duplicate: 204, nothing applied.
    again = await post_webhook(client, source, "wh-bad", bad_debt, T0)
    assert again.status_code == 204


async def test_unknown_event_type_is_stored_and_answered_204(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    body = event_body("plan.changed", {"anything": [1, 2, 3]})
    response = await post_webhook(client, source, "wh-unknown", body, T0)
    assert response.status_code == 204, response.text
    assert await scalar(app, "SELECT status FROM webhook_events") == "ignored"
    assert await scalar(app, "SELECT event_type FROM webhook_events") == "plan.changed"


async def test_a_failed_payment_leaves_no_partial_effect(
    client: httpx.AsyncClient, app: FastAPI, telco: dict[str, Any]
) -> None:
    source = telco["source"]
    await _overdue(client, source)
    wrong_currency = event_body(
        "bill.paid",
        {
            "debt_external_ref": "BILL-1",
            "amount_minor": 100,
            "currency": "EUR",
            "paid_at": "2026-03-01T11:00:00Z",
            "external_ref": "P-EUR",
        },
    )
    response = await post_webhook(client, source, "wh-eur", wrong_currency, T0)
    assert_problem(response, 422)
    assert await scalar(app, "SELECT count(*) FROM payments") == 0
    assert await scalar(app, "SELECT balance_minor FROM debts") == 8_999
    assert (
        await scalar(app, "SELECT status FROM webhook_events WHERE webhook_id='wh-eur'")
        == "rejected"
    )


async def test_openapi_documents_the_payload_with_an_example(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/webhooks/telecom/{source_id}"]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    assert content["example"]["type"] == "bill.overdue"
    types = {v["properties"]["type"]["const"] for v in content["schema"]["oneOf"]}
    assert types == {"bill.overdue", "bill.paid", "bill.adjusted", "account.closed"}
    assert "security" not in operation
    assert {p["name"] for p in operation["parameters"]} >= {"webhook-id", "webhook-signature"}
