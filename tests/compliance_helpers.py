"""State builders for compliance tests, through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN
from tests.debts_helpers import debt_item
from tests.helpers import bearer, create_agent, create_key, create_lender


async def setup_debt(
    client: httpx.AsyncClient,
    *,
    address: dict[str, Any] | None = None,
    phone: str = "+12125550142",
    phone_type: str = "cell",
    lender_settings: dict[str, Any] | None = None,
    code: str = "acme",
    debtor: dict[str, Any] | None = None,
    **debt_overrides: Any,
) -> dict[str, Any]:
    """A lender, an agent key for it, and one debt; returns ids and headers."""
    lender = await create_lender(
        client, code, settings=lender_settings or {"timezone": "America/New_York"}
    )
    lender_key = (await create_key(client, "lender", lender_id=lender["id"]))["key"]
    agent = await create_agent(client, "supervisor", [lender["id"]])
    agent_key = (await create_key(client, "agent", agent_id=agent["id"]))["key"]
    item = debt_item("D-1", **debt_overrides)
    item["debtor"]["address"] = address or {
        "country": "US",
        "subdivision": "NY",
        "city": "Albany",
        "postal_code": "12207",
    }
    item["debtor"]["contact_points"] = [
        {"channel": "phone", "value": phone, "type": phone_type},
        {"channel": "email", "value": "jane@example.com", "type": "personal"},
    ]
    if debtor:
        item["debtor"].update(debtor)
    created = await client.post("/v1/debts", json=item, headers=bearer(lender_key))
    assert created.status_code == 201, created.text
    debt = created.json()
    debtor_body = (await client.get(f"/v1/debtors/{debt['debtor_id']}", headers=ADMIN)).json()
    points = {p["channel"]: p["id"] for p in debtor_body["contact_points"]}
    return {
        "lender": lender,
        "debt": debt,
        "debt_id": debt["id"],
        "debtor_id": debt["debtor_id"],
        "lender_h": bearer(lender_key),
        "agent_h": bearer(agent_key),
        "agent": agent,
        "phone_id": points["phone"],
        "email_id": points["email"],
    }


async def evaluate(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    debt_id: str,
    at: str,
    channel: str = "phone",
    **extra: Any,
) -> dict[str, Any]:
    body = {"debt_id": debt_id, "channel": channel, "at": at, **extra}
    response = await client.post(
        "/v1/compliance/evaluate", json=body, headers={**headers, "X-Arrears-Now": at}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def codes(decision: dict[str, Any]) -> set[str]:
    return {r["code"] for r in decision["reasons"]}


async def import_calls(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    debt_id: str,
    instants: list[str],
    outcome: str = "no_answer",
    channel: str = "phone",
    direction: str = "outbound",
) -> None:
    items = [
        {"occurred_at": t, "channel": channel, "direction": direction, "outcome": outcome}
        for t in instants
    ]
    response = await client.post(
        f"/v1/debts/{debt_id}/contacts/import", json={"items": items}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": len(items)}
