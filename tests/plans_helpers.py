"""Builders for plan tests: a lender with keys for every role that touches plans, debts, payments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import ADMIN
from tests.debts_helpers import debt_item
from tests.helpers import bearer, create_agent, create_key, create_lender

NOW = "2026-03-01T12:00:00Z"


@dataclass
class Desk:
    """One lender (New York time) and the keys that work its debts."""

    lender_id: str
    lender: dict[str, str]
    junior: dict[str, str]
    supervisor: dict[str, str]
    viewer: dict[str, str]

    def at(self, who: dict[str, str], now: str = NOW) -> dict[str, str]:
        return {**who, "X-Arrears-Now": now}


async def make_desk(http: httpx.AsyncClient, code: str = "acme", **settings: Any) -> Desk:
    lender = await create_lender(
        http, code, settings={"timezone": "America/New_York", "max_discount_pct": 30, **settings}
    )
    keys = {}
    for tier in ("junior", "supervisor"):
        agent = await create_agent(http, tier, [lender["id"]])
        keys[tier] = bearer((await create_key(http, "agent", agent_id=agent["id"]))["key"])
    lender_key = bearer((await create_key(http, "lender", lender_id=lender["id"]))["key"])
    viewer_key = bearer((await create_key(http, "viewer", lender_id=lender["id"]))["key"])
    return Desk(lender["id"], lender_key, keys["junior"], keys["supervisor"], viewer_key)


async def make_debt(
    http: httpx.AsyncClient, desk: Desk, ref: str = "D-1", **fields: Any
) -> dict[str, Any]:
    item = debt_item(ref, **fields)
    response = await http.post("/v1/debts", json=item, headers=desk.at(desk.lender))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def post_plan(
    http: httpx.AsyncClient, debt_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await http.post(f"/v1/debts/{debt_id}/plans", json=body, headers=headers)


async def pay(
    http: httpx.AsyncClient,
    desk: Desk,
    debt_id: str,
    amount: int,
    ref: str,
    *,
    paid_at: str = "2026-03-02T10:00:00Z",
    now: str = NOW,
) -> httpx.Response:
    body = {"amount_minor": amount, "currency": "USD", "paid_at": paid_at, "external_ref": ref}
    return await http.post(
        f"/v1/debts/{debt_id}/payments", json=body, headers=desk.at(desk.lender, now)
    )


async def timeline(http: httpx.AsyncClient, debt_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/v1/debts/{debt_id}/events?limit=500", headers=ADMIN)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def debt_state(http: httpx.AsyncClient, debt_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/debts/{debt_id}", headers={**ADMIN, "X-Arrears-Now": NOW})
    return dict(response.json())
