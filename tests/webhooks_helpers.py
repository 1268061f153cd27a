"""Builders for signed telecom webhooks and webhook sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from standardwebhooks import Webhook

from tests.conftest import ADMIN


async def create_source(
    http: httpx.AsyncClient, lender_id: str, name: str = "Telco"
) -> dict[str, Any]:
    response = await http.post(
        "/v1/webhook-sources", json={"lender_id": lender_id, "name": name}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def signed_headers(
    secret: str, webhook_id: str, body: bytes, at: datetime, *extra_secrets: str
) -> dict[str, str]:
    """Standard Webhooks headers; several secrets give several `v1,` signatures."""
    text = body.decode()
    signatures = [Webhook(s).sign(webhook_id, at, text) for s in (secret, *extra_secrets)]
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def event_body(type_: str, data: dict[str, Any], at: datetime | None = None) -> bytes:
    when = (at or datetime(2026, 3, 1, 12, tzinfo=UTC)).isoformat()
    return orjson.dumps({"type": type_, "timestamp": when, "data": data})


def overdue_data(ref: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_ref": ref,
        "debtor": {
            "external_ref": f"SUB-{ref}",
            "kind": "person",
            "name": "Jane Roe",
            "address": {"country": "US", "subdivision": "NY", "city": "Albany"},
            "contact_points": [{"channel": "phone", "value": "+15185550142", "type": "cell"}],
        },
        "currency": "USD",
        "principal_minor": 8_999,
        "balance_minor": 8_999,
        "due_date": "2026-02-01",
    }
    data.update(overrides)
    return data


async def post_webhook(
    http: httpx.AsyncClient,
    source: dict[str, Any],
    webhook_id: str,
    body: bytes,
    at: datetime,
    *,
    secret: str | None = None,
    now: datetime | None = None,
) -> httpx.Response:
    headers = signed_headers(secret or source["secret"], webhook_id, body, at)
    headers["X-Arrears-Now"] = (now or at).isoformat()
    return await http.post(f"/v1/webhooks/telecom/{source['id']}", content=body, headers=headers)
