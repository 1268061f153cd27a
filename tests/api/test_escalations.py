"""Escalations: the ladder (every allowed, illegal and approval-needing step), approvals,
the debt's level/status and timeline, one pending per debt, listing, tenancy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.escalations.ladder import NEEDS_APPROVAL, REQUESTABLE_FROM, Level
from tests.conftest import ADMIN, scalar
from tests.escalations_helpers import (
    AT_NOW,
    PATHS,
    climb,
    escalate,
    get_debt,
    new_debt,
    setup_lender,
)
from tests.helpers import assert_problem

ALLOWED = sorted((src.value, dst.value) for dst, srcs in REQUESTABLE_FROM.items() for src in srcs)
EXPECTED_STATUS = {
    "senior_collector": "escalated",
    "supervisor": "escalated",
    "legal_notice": "legal",
    "litigation": "legal",
    "arbitration": "legal",
    "asset_preservation": "legal",
    "external_agency": "escalated",
    "write_off": "written_off",
}


@pytest.fixture
async def team(client: httpx.AsyncClient) -> dict[str, Any]:
    return await setup_lender(client)


def test_the_ladder_matches_the_product_table() -> None:
    table = {
        "senior_collector": {"collector"},
        "supervisor": {"collector", "senior_collector"},
        "legal_notice": {"supervisor"},
        "litigation": {"legal_notice"},
        "arbitration": {"legal_notice"},
        "asset_preservation": {"litigation", "arbitration"},
        "external_agency": {"collector", "senior_collector", "supervisor"},
        "write_off": {level.value for level in Level} - {"write_off"},
    }
    assert {k.value: {s.value for s in v} for k, v in REQUESTABLE_FROM.items()} == table
    assert {lvl.value for lvl in NEEDS_APPROVAL} == {
        "legal_notice",
        "litigation",
        "arbitration",
        "asset_preservation",
        "external_agency",
        "write_off",
    }


@pytest.mark.parametrize(("from_level", "to_level"), ALLOWED)
async def test_every_allowed_step(
    client: httpx.AsyncClient, app: FastAPI, team: dict[str, Any], from_level: str, to_level: str
) -> None:
    debt = await new_debt(client, team["lender"]["id"])
    await climb(client, debt["id"], from_level)
    assert (await get_debt(client, debt["id"]))["escalation_level"] == from_level
    status_before = (await get_debt(client, debt["id"]))["status"]

    # A supervisor agent asks; levels that need approval wait for it.
    response = await escalate(client, debt["id"], to_level, team["supervisor_key"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/escalations/{body['id']}"
    assert (body["from_level"], body["to_level"]) == (from_level, to_level)
    needs = Level(to_level) in NEEDS_APPROVAL
    assert body["needs_approval"] is needs
    assert body["requested_by_agent_id"] == team["supervisor"]["id"]
    after = await get_debt(client, debt["id"])
    if needs:
        assert body["status"] == "pending_approval"
        assert (after["escalation_level"], after["status"]) == (from_level, status_before)
        approved = await client.post(
            f"/v1/escalations/{body['id']}/approve", headers={**team["supervisor_key"], **AT_NOW}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        after = await get_debt(client, debt["id"])
    else:
        assert body["status"] == "approved"
    assert after["escalation_level"] == to_level
    assert after["status"] == EXPECTED_STATUS[to_level]
    stored = await scalar(
        app,
        "SELECT status FROM escalations WHERE from_level = :src AND to_level = :dst",
        src=from_level,
        dst=to_level,
    )
    assert stored == "approved"


@pytest.mark.parametrize("from_level", list(PATHS))
async def test_every_illegal_step_is_409_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, team: dict[str, Any], from_level: str
) -> None:
    debt = await new_debt(client, team["lender"]["id"])
    await climb(client, debt["id"], from_level)
    before = await get_debt(client, debt["id"])
    count = await scalar(app, "SELECT count(*) FROM escalations")
    illegal = [lvl.value for lvl in Level if (from_level, lvl.value) not in ALLOWED]
    assert illegal
    for to_level in illegal:
        response = await escalate(client, debt["id"], to_level)
        assert_problem(response, 409)
    after = await get_debt(client, debt["id"])
    assert (after["escalation_level"], after["status"]) == (
        before["escalation_level"],
        before["status"],
    )
    assert await scalar(app, "SELECT count(*) FROM escalations") == count


async def test_approval_needs_a_supervisor_and_the_timeline_records_every_step(
    client: httpx.AsyncClient, app: FastAPI, team: dict[str, Any]
) -> None:
    debt = await new_debt(client, team["lender"]["id"])
    await climb(client, debt["id"], "supervisor")
    asked = await escalate(client, debt["id"], "legal_notice", team["junior_key"])
    assert asked.status_code == 201 and asked.json()["status"] == "pending_approval"
    escalation_id = asked.json()["id"]

    # Neither the junior collector nor the lender may approve; the debt stays where it is.
    for headers in (team["junior_key"], team["lender_key"]):
        for action in ("approve", "reject"):
            denied = await client.post(
                f"/v1/escalations/{escalation_id}/{action}", headers={**headers, **AT_NOW}
            )
            assert_problem(denied, 403)
    assert (await get_debt(client, debt["id"]))["escalation_level"] == "supervisor"

    # One pending escalation per debt.
    second = await escalate(client, debt["id"], "write_off", team["supervisor_key"])
    assert_problem(second, 409, "escalation-pending")

    approved = await client.post(
        f"/v1/escalations/{escalation_id}/approve",
        json={"note": "file is complete"},
        headers={**team["supervisor_key"], **AT_NOW},
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["decision_note"] == "file is complete"
    assert body["decided_by"].startswith("agent:") and body["decided_at"] == NOW_Z
    debt_now = await get_debt(client, debt["id"])
    assert (debt_now["escalation_level"], debt_now["status"]) == ("legal_notice", "legal")

    again = await client.post(
        f"/v1/escalations/{escalation_id}/approve", headers={**team["supervisor_key"], **AT_NOW}
    )
    assert_problem(again, 409)

    done = await client.post(
        f"/v1/escalations/{escalation_id}/complete", headers={**team["junior_key"], **AT_NOW}
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert done.json()["completed_at"] == NOW_Z
    assert_problem(
        await client.post(f"/v1/escalations/{escalation_id}/complete", headers=ADMIN), 409
    )

    events = (await client.get(f"/v1/debts/{debt['id']}/events", headers=ADMIN)).json()["items"]
    escalation_events = [
        (e["type"], e["data"].get("to_level") or e["data"].get("after"))
        for e in events
        if e["type"].startswith("escalation.") or e["type"] in ("debt.escalated",)
    ]
    # Entries written in one request share their instant; their order among themselves is free.
    assert escalation_events[-4] == ("escalation.requested", "legal_notice")
    assert set(escalation_events[-3:-1]) == {
        ("escalation.approved", "legal_notice"),
        ("debt.escalated", "legal_notice"),
    }
    assert escalation_events[-1] == ("escalation.completed", "legal_notice")
    status_changes = [e["data"] for e in events if e["type"] == "debt.status_changed"]
    assert status_changes == [
        {"before": "active", "after": "escalated", "cause": "escalation"},
        {"before": "escalated", "after": "legal", "cause": "escalation"},
    ]


NOW_Z = "2026-03-01T12:00:00Z"


async def test_reject_leaves_the_debt_and_frees_the_slot(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    debt = await new_debt(client, team["lender"]["id"])
    asked = await escalate(client, debt["id"], "external_agency", team["junior_key"])
    assert asked.status_code == 201 and asked.json()["status"] == "pending_approval"
    rejected = await client.post(
        f"/v1/escalations/{asked.json()['id']}/reject",
        json={"note": "keep working it"},
        headers={**team["supervisor_key"], **AT_NOW},
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert_problem(
        await client.post(
            f"/v1/escalations/{asked.json()['id']}/approve",
            headers={**team["supervisor_key"], **AT_NOW},
        ),
        409,
    )
    assert_problem(
        await client.post(f"/v1/escalations/{asked.json()['id']}/complete", headers=ADMIN), 409
    )
    debt_now = await get_debt(client, debt["id"])
    assert (debt_now["escalation_level"], debt_now["status"]) == ("collector", "active")
    # The slot is free again: a new escalation may be asked for.
    assert (await escalate(client, debt["id"], "senior_collector")).status_code == 201


async def test_write_off_ends_the_debt_and_a_closed_debt_cannot_be_escalated(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    debt = await new_debt(client, team["lender"]["id"])
    await climb(client, debt["id"], "litigation")
    await climb(client, debt["id"], "write_off")
    debt_now = await get_debt(client, debt["id"])
    assert (debt_now["escalation_level"], debt_now["status"]) == ("write_off", "written_off")
    assert_problem(await escalate(client, debt["id"], "supervisor"), 409)

    other = await new_debt(client, team["lender"]["id"], "D-2")
    patched = await client.patch(
        f"/v1/debts/{other['id']}", json={"status": "recalled"}, headers=team["lender_key"]
    )
    assert patched.status_code == 200, patched.text
    assert_problem(await escalate(client, other["id"], "senior_collector"), 409)


async def test_roles_validation_and_tenancy(
    client: httpx.AsyncClient, app: FastAPI, team: dict[str, Any]
) -> None:
    debt = await new_debt(client, team["lender"]["id"])
    # A lender key reads escalations of its debts but may not ask for one.
    assert_problem(await escalate(client, debt["id"], "supervisor", team["lender_key"]), 403)
    bad = await client.post(
        f"/v1/debts/{debt['id']}/escalations",
        json={"to_level": "moon", "reason": "manual"},
        headers=ADMIN,
    )
    assert_problem(bad, 422)
    extra = await client.post(
        f"/v1/debts/{debt['id']}/escalations",
        json={"to_level": "supervisor", "reason": "manual", "x": 1},
        headers=ADMIN,
    )
    assert_problem(extra, 422)

    other = await setup_lender(client, "other")
    mine = await escalate(client, debt["id"], "external_agency")
    # Another tenant's agent sees neither the debt nor the escalation.
    assert_problem(await escalate(client, debt["id"], "supervisor", other["supervisor_key"]), 404)
    for path in (
        f"/v1/escalations/{mine.json()['id']}",
        f"/v1/debts/{debt['id']}/escalations",
        f"/v1/debts/{debt['id']}/escalation/explain",
    ):
        assert_problem(await client.get(path, headers=other["supervisor_key"]), 404)
    assert_problem(
        await client.post(
            f"/v1/escalations/{mine.json()['id']}/approve", headers=other["supervisor_key"]
        ),
        404,
    )
    assert await scalar(app, "SELECT status FROM escalations") == "pending_approval"
    listed = await client.get("/v1/escalations", headers=other["supervisor_key"])
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert (
        len((await client.get("/v1/escalations", headers=team["lender_key"])).json()["items"]) == 1
    )


async def test_list_filters(client: httpx.AsyncClient, team: dict[str, Any]) -> None:
    lender_id = team["lender"]["id"]
    one = await new_debt(client, lender_id, "D-1")
    two = await new_debt(client, lender_id, "D-2")
    await escalate(client, one["id"], "senior_collector", team["junior_key"])
    await escalate(client, two["id"], "external_agency")
    patched = await client.patch(
        f"/v1/debts/{two['id']}",
        json={"assigned_agent_id": team["supervisor"]["id"]},
        headers=ADMIN,
    )
    assert patched.status_code == 200

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/v1/escalations{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return [item["debt_id"] for item in response.json()["items"]]

    assert await ids("") == [two["id"], one["id"]]
    assert await ids("?status=pending_approval") == [two["id"]]
    assert await ids("?status=approved&level=senior_collector") == [one["id"]]
    assert await ids("?level=supervisor") == []
    assert await ids(f"?agent_id={team['junior']['id']}") == [one["id"]]
    assert await ids(f"?agent_id={team['supervisor']['id']}") == [two["id"]]
    assert await ids(f"?lender_id={lender_id}&limit=1") == [two["id"]]
    assert_problem(await client.get("/v1/escalations?status=nope", headers=ADMIN), 422)
    page = await client.get(f"/v1/debts/{one['id']}/escalations", headers=team["lender_key"])
    assert [e["to_level"] for e in page.json()["items"]] == ["senior_collector"]
