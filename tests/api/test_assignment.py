"""Assignment by tier: default DPD bands, per-lender bands, escalated debts to supervisors,
load balancing with deterministic ties, only unassigned or wrong-tier debts move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.background import run_sweeps
from tests.conftest import ADMIN
from tests.escalations_helpers import climb, get_debt, new_debt
from tests.helpers import create_agent, create_lender

SWEEP_AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
# Due dates giving DPD 10, 45, 75, 120 on 2026-03-01 in New York.
DUE = {"j": "2026-02-19", "i": "2026-01-15", "s": "2025-12-16", "v": "2025-11-01"}


async def _assigned(client: httpx.AsyncClient, debt_id: str) -> str | None:
    return (await get_debt(client, debt_id))["assigned_agent_id"]


async def test_default_tiers_by_dpd_and_escalation_and_load_balance(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    lender = await create_lender(client, "acme", settings={"timezone": "America/New_York"})
    other = await create_lender(client, "other")
    agents = {
        tier: await create_agent(client, tier, [lender["id"]])
        for tier in ("junior", "intermediate", "senior", "supervisor")
    }
    second_junior = await create_agent(client, "junior", [lender["id"]])
    outsider = await create_agent(client, "senior", [other["id"]])
    debts = {
        key: await new_debt(client, lender["id"], f"D-{key}", due_date=due)
        for key, due in DUE.items()
    }
    current = await new_debt(client, lender["id"], "D-current", due_date="2026-03-10")
    escalated = await new_debt(client, lender["id"], "D-esc", due_date=DUE["j"])
    await climb(client, escalated["id"], "supervisor")
    junior_debts = [
        await new_debt(client, lender["id"], f"J-{n}", due_date=DUE["j"]) for n in range(3)
    ]

    results = await run_sweeps(app.state.sessionmaker, SWEEP_AT)
    assert results["assignment"] == 8

    assert await _assigned(client, debts["i"]["id"]) == agents["intermediate"]["id"]
    assert await _assigned(client, debts["s"]["id"]) == agents["senior"]["id"]
    assert await _assigned(client, debts["v"]["id"]) == agents["supervisor"]["id"]
    # DPD 10 but escalated to supervisor: the supervisor tier works it.
    assert await _assigned(client, escalated["id"]) == agents["supervisor"]["id"]
    # Not past due: nobody's yet.
    assert await _assigned(client, current["id"]) is None
    # Four DPD-10 debts between two juniors: two each, ties to the lower agent id.
    juniors = sorted([agents["junior"]["id"], second_junior["id"]])
    owners = [await _assigned(client, d["id"]) for d in [debts["j"], *junior_debts]]
    assert sorted(owners) == sorted(juniors * 2)
    assert outsider["id"] not in owners
    events = (await client.get(f"/v1/debts/{debts['s']['id']}/events", headers=ADMIN)).json()
    assigned = [e for e in events["items"] if e["type"] == "debt.assigned"]
    assert assigned[0]["data"] == {
        "before": None,
        "after": agents["senior"]["id"],
        "tier": "senior",
        "cause": "sweep",
    }
    assert assigned[0]["actor"] == "system"

    # Idempotent: nothing moves on a second run.
    assert (await run_sweeps(app.state.sessionmaker, SWEEP_AT))["assignment"] == 0

    # The DPD-45 debt, moved by hand to a junior, is wrong-tier and goes back; a manual choice of
    # another intermediate agent is left alone.
    other_inter = await create_agent(client, "intermediate", [lender["id"]])
    patch = await client.patch(
        f"/v1/debts/{debts['i']['id']}", json={"assigned_agent_id": juniors[0]}, headers=ADMIN
    )
    assert patch.status_code == 200
    assert (await run_sweeps(app.state.sessionmaker, SWEEP_AT))["assignment"] == 1
    # Both intermediates now have no debt: the tie goes to the lower agent id.
    tie_winner = min(agents["intermediate"]["id"], other_inter["id"])
    assert await _assigned(client, debts["i"]["id"]) == tie_winner
    tie_loser = max(agents["intermediate"]["id"], other_inter["id"])
    await client.patch(
        f"/v1/debts/{debts['i']['id']}", json={"assigned_agent_id": tie_loser}, headers=ADMIN
    )
    assert (await run_sweeps(app.state.sessionmaker, SWEEP_AT))["assignment"] == 0
    assert await _assigned(client, debts["i"]["id"]) == tie_loser

    # A day on, the DPD-30 boundary: a debt due 2026-01-30 is DPD 30 (junior) on 03-01 and
    # DPD 31 (intermediate) on 03-02.
    edge = await new_debt(client, lender["id"], "D-edge", due_date="2026-01-30")
    await run_sweeps(app.state.sessionmaker, SWEEP_AT)
    assert await _assigned(client, edge["id"]) in juniors
    await run_sweeps(app.state.sessionmaker, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert await _assigned(client, edge["id"]) in {agents["intermediate"]["id"], other_inter["id"]}


async def test_per_lender_bands_and_switch(client: httpx.AsyncClient, app: FastAPI) -> None:
    settings: dict[str, Any] = {
        "timezone": "America/New_York",
        "assignment": {
            "tiers": [
                {"tier": "junior", "min_dpd": 1, "max_dpd": 60},
                {"tier": "senior", "min_dpd": 61},
            ],
        },
    }
    lender = await create_lender(client, "acme", settings=settings)
    junior = await create_agent(client, "junior", [lender["id"]])
    senior = await create_agent(client, "senior", [lender["id"]])
    await create_agent(client, "intermediate", [lender["id"]])
    d45 = await new_debt(client, lender["id"], "D-45", due_date=DUE["i"])
    d120 = await new_debt(client, lender["id"], "D-120", due_date=DUE["v"])
    await run_sweeps(app.state.sessionmaker, SWEEP_AT)
    assert await _assigned(client, d45["id"]) == junior["id"]
    assert await _assigned(client, d120["id"]) == senior["id"]

    off = await client.patch(
        f"/v1/lenders/{lender['id']}",
        json={"settings": {"assignment": {"enabled": False}}},
        headers=ADMIN,
    )
    assert off.status_code == 200, off.text
    assert off.json()["settings"]["assignment"]["enabled"] is False
    d10 = await new_debt(client, lender["id"], "D-10", due_date=DUE["j"])
    assert (await run_sweeps(app.state.sessionmaker, SWEEP_AT))["assignment"] == 0
    assert await _assigned(client, d10["id"]) is None


async def test_assignment_settings_are_validated(client: httpx.AsyncClient) -> None:
    for assignment in (
        {
            "tiers": [
                {"tier": "junior", "min_dpd": 1, "max_dpd": 40},
                {"tier": "senior", "min_dpd": 30},
            ]
        },
        {"tiers": [{"tier": "junior", "min_dpd": 10, "max_dpd": 5}]},
        {"tiers": [{"tier": "boss", "min_dpd": 1}]},
        {"surprise": True},
    ):
        response = await client.post(
            "/v1/lenders",
            json={"code": "bad", "name": "Bad", "settings": {"assignment": assignment}},
            headers=ADMIN,
        )
        assert response.status_code == 422, (assignment, response.text)
        assert response.json()["errors"][0]["pointer"].startswith("#/settings/assignment")
