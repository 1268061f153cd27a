"""The dialer's call list."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.compliance.schemas import CallableResponse
from app.debtors.models import ContactPoint
from tests.compliance_helpers import import_calls, setup_debt
from tests.conftest import scalar
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
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    # Written directly, not through the model: byte for byte what the model would write.
    assert response.content == CallableResponse.model_validate(body).model_dump_json().encode()
    assert body["evaluated_at"] == "2026-04-07T16:00:00Z"
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


async def test_call_list_by_filter_takes_the_matching_debts_oldest_first(
    client: httpx.AsyncClient,
) -> None:
    d = await setup_debt(client)
    ids = []
    for day in (
        "03",
        "01",
        "02",
    ):  # posted in this order, created (the service's now) on these days
        created = await client.post(
            "/v1/debts",
            json=debt_item(f"BN-{day}", product="bnpl"),
            headers={**d["lender_h"], "X-Arrears-Now": f"2026-03-{day}T12:00:00Z"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["created_at"].startswith(f"2026-03-{day}")
        ids.append(created.json()["id"])
    oldest_first = [ids[1], ids[2], ids[0]]
    response = await client.post(
        "/v1/compliance/callable",
        json={"channel": "email", "filter": {"lender_id": d["lender"]["id"], "product": "bnpl"}},
        headers={**d["agent_h"], **NOON},
    )
    assert response.status_code == 200, response.text
    assert response.json()["allowed"] == oldest_first and response.json()["blocked"] == []
    none = await client.post(
        "/v1/compliance/callable",
        json={"channel": "email", "filter": {"lender_id": d["lender"]["id"], "product": "other"}},
        headers={**d["agent_h"], **NOON},
    )
    assert none.status_code == 200, none.text
    assert none.json()["allowed"] == [] and none.json()["blocked"] == []


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


async def test_contact_points_keep_their_phone_zones(client: httpx.AsyncClient) -> None:
    """A phone's zones are found once, when it is added (one debt, a batch, the contact-point
    route), and returned with the contact point; other channels have none."""
    d = await setup_debt(client, phone="(208) 555-0134")
    lh = d["lender_h"]
    item = debt_item("D-batch", debtor_ref="debtor-batch")
    item["debtor"]["contact_points"] = [
        {"channel": "phone", "value": "+14155550123", "type": "cell"},
        {"channel": "phone", "value": "800 555 0199", "type": "work"},  # toll-free
    ]
    batch = await client.post("/v1/debts/batch", json={"items": [item]}, headers=lh)
    assert batch.status_code == 200, batch.text
    assert batch.json()["results"][0]["status"] == "created"
    added = await client.post(
        f"/v1/debtors/{d['debtor_id']}/contact-points",
        json={"channel": "phone", "value": "+61 2 9123 4567", "type": "home"},
        headers=lh,
    )
    assert added.status_code == 201, added.text
    assert added.json()["time_zones"] == ["Australia/Sydney"]

    debtor = (await client.get(f"/v1/debtors/{d['debtor_id']}", headers=lh)).json()
    zones = {p["value"]: p["time_zones"] for p in debtor["contact_points"]}
    assert zones == {
        "+12085550134": ["America/Boise", "America/Los_Angeles"],
        "+61291234567": ["Australia/Sydney"],
        "jane@example.com": None,
    }
    debt = (await client.get(f"/v1/debts/{batch.json()['results'][0]['id']}", headers=lh)).json()
    other = (await client.get(f"/v1/debtors/{debt['debtor_id']}", headers=lh)).json()
    assert {p["value"]: p["time_zones"] for p in other["contact_points"]} == {
        "+14155550123": ["America/Los_Angeles"],
        "+18005550199": [],
    }


async def test_the_call_list_and_evaluate_decide_through_the_stored_zones(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The call list and evaluate read a phone's stored zones; a row without them (added before
    they were stored) is decided from the number itself."""
    d = await setup_debt(client, phone="+14155550123")  # New York address, California phone
    # 08:30 in New York, 05:30 in Los Angeles: the phone's zone is before its window.
    early = {**d["agent_h"], "X-Arrears-Now": "2026-04-07T12:30:00Z"}
    body = {"channel": "phone", "debt_ids": [d["debt_id"]]}

    async def listed() -> list[str]:
        response = await client.post("/v1/compliance/callable", json=body, headers=early)
        assert response.status_code == 200, response.text
        answer = response.json()
        return (
            ["allowed"]
            if answer["allowed"]
            else [r["code"] for r in answer["blocked"][0]["reasons"]]
        )

    async def evaluated() -> list[str]:
        single = await client.post(
            "/v1/compliance/evaluate",
            json={"debt_id": d["debt_id"], "channel": "phone"},
            headers=early,
        )
        assert single.status_code == 200, single.text
        return [r["code"] for r in single.json()["reasons"]] or ["allowed"]

    assert await evaluated() == await listed() == ["OUTSIDE_TIME_WINDOW"]
    stored = await scalar(app, "SELECT time_zones FROM contact_points WHERE value = '+14155550123'")
    assert (json.loads(stored) if isinstance(stored, str) else stored) == ["America/Los_Angeles"]

    async def store(zones: list[str] | None) -> None:
        async with app.state.sessionmaker() as session:
            await session.execute(
                update(ContactPoint).where(ContactPoint.channel == "phone").values(time_zones=zones)
            )
            await session.commit()

    await store(None)  # as before the zones were stored: found from the number
    assert await evaluated() == await listed() == ["OUTSIDE_TIME_WINDOW"]
    # The stored zones are what both use: none, so only the address's window (New York).
    await store([])
    assert await evaluated() == await listed() == ["allowed"]
