"""Builders for debt payloads."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN


def debt_item(ref: str, *, debtor_ref: str | None = None, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "external_ref": ref,
        "debtor": {
            "external_ref": debtor_ref or f"debtor-{ref}",
            "kind": "person",
            "name": "Jane Roe",
            "national_id": "123-45-6789",
            "address": {
                "country": "US",
                "subdivision": "NY",
                "city": "Albany",
                "postal_code": "12207",
            },
            "contact_points": [
                {"channel": "phone", "value": "(518) 555-0142", "type": "cell"},
                {"channel": "email", "value": "Jane.Roe@Example.com", "type": "personal"},
            ],
        },
        "product": "credit_card",
        "currency": "USD",
        "principal_minor": 100_000,
        "balance_minor": 120_000,
        "due_date": "2026-01-15",
    }
    item.update(overrides)
    return item


async def post_debt(
    http: httpx.AsyncClient,
    item: dict[str, Any],
    headers: dict[str, str] | None = None,
    **extra_headers: str,
) -> httpx.Response:
    return await http.post("/v1/debts", json=item, headers={**(headers or ADMIN), **extra_headers})
