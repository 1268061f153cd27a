"""The worklist: assigned debts the rules service allows now, scored and paginated, the others
in `later`; every listed debt is cross-checked with `POST /v1/compliance/evaluate`."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN
from tests.escalations_helpers import climb, new_debt, setup_lender
from tests.helpers import assert_problem

# Tuesday 10:00 in New York: inside calling hours.
WORKDAY = "2026-03-03T15:00:00Z"
# Tuesday 03:00 in New York: outside calling hours for phone, sms and visits.
NIGHT = "2026-03-03T08:00:00Z"


async def assign(client: httpx.AsyncClient, debt_id: str, agent_id: str) -> None:
    response = await client.patch(
        f"/v1/debts/{debt_id}", json={"assigned_agent_id": agent_id}, headers=ADMIN
    )
    assert response.status_code == 200, response.text


async def worklist(
    client: httpx.AsyncClient, headers: dict[str, str], when: str, query: str = ""
) -> dict[str, Any]:
    response = await client.get(f"/v1/worklist{query}", headers={**headers, "X-Arrears-Now": when})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def evaluate(
    client: httpx.AsyncClient, debt_id: str, channel: str, when: str
) -> dict[str, Any]:
    response = await client.post(
        "/v1/compliance/evaluate",
        json={"debt_id": debt_id, "channel": channel},
        headers={**ADMIN, "X-Arrears-Now": when},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def cross_check(client: httpx.AsyncClient, body: dict[str, Any], when: str) -> None:
    """Every listed debt is allowed on each listed channel; every `later` debt on none."""
    for item in body["items"]:
        assert item["channels_allowed"], item
        for channel in item["channels_allowed"]:
            decision = await evaluate(client, item["debt"]["id"], channel, when)
            assert decision["decision"] == "allow", (channel, decision)
    for item in body["later"]:
        for channel in ("phone", "sms", "email", "letter", "visit"):
            decision = await evaluate(client, item["debt"]["id"], channel, when)
            assert decision["decision"] == "block", (channel, decision)


async def test_worklist_lists_only_what_the_rules_allow_and_orders_by_score(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    team = await setup_lender(client)
    lender_id, me = team["lender"]["id"], team["junior"]["id"]
    small = await new_debt(client, lender_id, "D-small", balance_minor=5_000)
    big = await new_debt(client, lender_id, "D-big", balance_minor=900_000, due_date="2025-11-01")
    mid = await new_debt(client, lender_id, "D-mid", balance_minor=120_000)
    held = await new_debt(client, lender_id, "D-held")
    litigated = await new_debt(client, lender_id, "D-litigated")
    not_mine = await new_debt(client, lender_id, "D-other")
    for debt in (small, big, mid, held, litigated):
        await assign(client, debt["id"], me)
    await assign(client, not_mine["id"], team["supervisor"]["id"])
    # A cease-communication hold blocks every channel for one debt.
    hold = await client.post(
        f"/v1/debtors/{held['debtor_id']}/holds",
        json={"type": "cease_communication", "debt_id": held["id"]},
        headers={**ADMIN, "X-Arrears-Now": "2026-03-01T12:00:00Z"},
    )
    assert hold.status_code == 201, hold.text
    # Litigation: letters only.
    await climb(client, litigated["id"], "litigation")
    await assign(client, litigated["id"], me)

    body = await worklist(client, team["junior_key"], WORKDAY)
    assert body["agent_id"] == me and body["evaluated_at"] == "2026-03-03T15:00:00Z"
    listed = [item["debt"]["id"] for item in body["items"]]
    # Same balance and DPD: mid and litigated tie, and the lower id goes first.
    assert listed == [big["id"], *sorted([mid["id"], litigated["id"]]), small["id"]]
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert listed[0] == big["id"] and listed[-1] == small["id"]
    for item in body["items"]:
        parts = item["score_parts"]
        assert item["score"] == round(sum(parts.values()), 2)
        assert parts["days_since_contact"] == 10.0  # never contacted
    big_item = body["items"][0]
    assert big_item["score_parts"]["dpd"] == round(30 * 122 / 180, 2)  # DPD 122
    by_id = {item["debt"]["id"]: item for item in body["items"]}
    assert by_id[litigated["id"]]["channels_allowed"] == ["letter"]
    assert "phone" in by_id[mid["id"]]["channels_allowed"]
    assert not_mine["id"] not in listed and held["id"] not in listed

    assert [item["debt"]["id"] for item in body["later"]] == [held["id"]]
    later = body["later"][0]
    assert later["next_allowed_at"] is None
    assert {b["channel"] for b in later["blocked"]} == {"phone", "sms", "email", "letter", "visit"}
    await cross_check(client, body, WORKDAY)

    # Pagination by score: the pages join up to the same list.
    first = await worklist(client, team["junior_key"], WORKDAY, "?limit=3")
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = await worklist(
        client, team["junior_key"], WORKDAY, f"?limit=3&cursor={first['next_cursor']}"
    )
    assert second["next_cursor"] is None and second["later"] == []
    assert [i["debt"]["id"] for i in first["items"] + second["items"]] == listed
    bad = await client.get(
        "/v1/worklist?cursor=garbage", headers={**team["junior_key"], "X-Arrears-Now": WORKDAY}
    )
    assert_problem(bad, 422)


async def test_at_night_only_letters_remain_and_later_says_when(
    client: httpx.AsyncClient,
) -> None:
    team = await setup_lender(client)
    debt = await new_debt(client, team["lender"]["id"])
    paused = await new_debt(client, team["lender"]["id"], "D-paused")
    for each in (debt, paused):
        await assign(client, each["id"], team["junior"]["id"])
    hold = await client.post(
        f"/v1/debtors/{paused['debtor_id']}/holds",
        json={
            "type": "breathing_space",
            "debt_id": paused["id"],
            "starts_at": "2026-03-01T00:00:00Z",
            "ends_at": "2026-03-10T00:00:00Z",
        },
        headers={**ADMIN, "X-Arrears-Now": "2026-03-01T12:00:00Z"},
    )
    assert hold.status_code == 201, hold.text

    body = await worklist(client, team["junior_key"], NIGHT)
    await cross_check(client, body, NIGHT)
    assert [(i["debt"]["id"], i["channels_allowed"]) for i in body["items"]] == [
        (debt["id"], ["letter"])
    ]
    (later,) = body["later"]
    assert later["debt"]["id"] == paused["id"]
    assert later["next_allowed_at"] is not None and later["next_allowed_at"] >= "2026-03-10"
    day = await worklist(client, team["junior_key"], WORKDAY)
    assert "phone" in day["items"][0]["channels_allowed"]


async def test_who_may_see_which_worklist(client: httpx.AsyncClient) -> None:
    team = await setup_lender(client)
    other = await setup_lender(client, "other")
    debt = await new_debt(client, team["lender"]["id"])
    await assign(client, debt["id"], team["junior"]["id"])

    # Admin names the agent; without one it is 422.
    assert_problem(await client.get("/v1/worklist", headers=ADMIN), 422)
    imported = await client.post(
        f"/v1/debts/{debt['id']}/contacts/import",
        json={
            "items": [
                {
                    "occurred_at": "2026-03-01T14:00:00Z",
                    "channel": "phone",
                    "direction": "outbound",
                    "outcome": "no_answer",
                }
            ]
        },
        headers={**team["lender_key"], "X-Arrears-Now": "2026-03-02T00:00:00Z"},
    )
    assert imported.status_code == 201, imported.text
    admin_view = await worklist(client, ADMIN, WORKDAY, f"?agent_id={team['junior']['id']}")
    assert [i["debt"]["id"] for i in admin_view["items"]] == [debt["id"]]
    (item,) = admin_view["items"]
    assert item["last_contact_at"] == "2026-03-01T14:00:00Z"
    assert item["score_parts"]["days_since_contact"] == 2.0
    # A supervisor may look at a collector's worklist; a collector not at another's.
    supervised = await worklist(
        client, team["supervisor_key"], WORKDAY, f"?agent_id={team['junior']['id']}"
    )
    assert [i["debt"]["id"] for i in supervised["items"]] == [debt["id"]]
    denied = await client.get(
        f"/v1/worklist?agent_id={team['supervisor']['id']}", headers=team["junior_key"]
    )
    assert_problem(denied, 403)
    # Another tenant's supervisor sees none of this lender's debts, and lenders have no worklist.
    foreign = await worklist(
        client, other["supervisor_key"], WORKDAY, f"?agent_id={team['junior']['id']}"
    )
    assert foreign["items"] == [] and foreign["later"] == []
    assert_problem(await client.get("/v1/worklist", headers=team["lender_key"]), 403)
    # The supervisor's own (empty) worklist.
    mine = await worklist(client, team["supervisor_key"], WORKDAY)
    assert mine["items"] == [] and mine["agent_id"] == team["supervisor"]["id"]
