"""The dialer's call list."""

from __future__ import annotations

import httpx

from tests.compliance_helpers import import_calls, setup_debt
from tests.debts_helpers import debt_item
from tests.helpers import assert_problem

NOON = {"X-Arrears-Now": "2026-04-07T16:00:00Z"}


async def test_call_list_splits_allowed_and_blocked_with_reasons(client: httpx.AsyncClient) -> None:
    d = await setup_debt(client)
    lh = d["lender_h"]
    capped = (await client.post("/v1/debts", json=debt_item("D-cap"), headers=lh)).json()
    closed = (await client.post("/v1/debts", json=debt_item("D-closed"), headers=lh)).json()
    await client.patch(f"/v1/debts/{closed['id']}", json={"status": "recalled"}, headers=lh)
    await import_calls(client, lh, capped["id"], [f"2026-04-0{i}T15:00:00Z" for i in range(1, 8)])
    no_phone_item = debt_item("D-nophone")
    no_phone_item["debtor"]["contact_points"] = []
    no_phone = (await client.post("/v1/debts", json=no_phone_item, headers=lh)).json()
    other = await setup_debt(client, code="globex")
    ids = [d["debt_id"], capped["id"], closed["id"], no_phone["id"], other["debt_id"]]
    response = await client.post(
        "/v1/compliance/callable",
        json={"channel": "phone", "debt_ids": ids},
        headers={**d["agent_h"], **NOON},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["allowed"] == [d["debt_id"]]
    blocked = {b["debt_id"]: b for b in body["blocked"]}
    assert set(blocked) == {
        capped["id"],
        closed["id"],
        no_phone["id"],
    }  # another tenant's debt is left out
    assert [r["code"] for r in blocked[capped["id"]]["reasons"]] == ["REGF_7_CALLS_IN_7_DAYS"]
    assert blocked[capped["id"]]["next_allowed_at"] == "2026-04-08T12:00:00Z"
    assert "DEBT_NOT_COLLECTABLE" in {r["code"] for r in blocked[closed["id"]]["reasons"]}
    assert blocked[closed["id"]]["next_allowed_at"] is None
    assert blocked[no_phone["id"]]["reasons"][0]["code"] == "NO_ACTIVE_DESTINATION"
    # Every listed debt agrees with evaluate.
    for debt_id in body["allowed"]:
        single = await client.post(
            "/v1/compliance/evaluate",
            json={"debt_id": debt_id, "channel": "phone"},
            headers={**d["agent_h"], **NOON},
        )
        assert single.json()["decision"] == "allow"


async def test_call_list_by_filter(client: httpx.AsyncClient) -> None:
    d = await setup_debt(client)
    late = (
        await client.post(
            "/v1/debts", json=debt_item("D-old", due_date="2025-01-01"), headers=d["lender_h"]
        )
    ).json()
    response = await client.post(
        "/v1/compliance/callable",
        json={"channel": "email", "filter": {"lender_id": d["lender"]["id"], "bucket": "181+"}},
        headers={**d["agent_h"], **NOON},
    )
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] == [late["id"]] and response.json()["blocked"] == []
    both = await client.post(
        "/v1/compliance/callable",
        json={"channel": "phone", "debt_ids": [], "filter": {}},
        headers=d["agent_h"],
    )
    assert_problem(both, 422)
    assert_problem(
        await client.post(
            "/v1/compliance/callable",
            json={"channel": "phone", "debt_ids": []},
            headers=d["lender_h"],
        ),
        403,
    )
