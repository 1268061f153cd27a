"""Automatic escalation rules at their thresholds (the day before and the day of), idempotent and
safe when sweeps run at once; the explain endpoint; rule validation on the lender."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.core.background import run_sweeps
from app.debts.models import Debt
from tests.conftest import ADMIN, scalar
from tests.escalations_helpers import get_debt, new_debt
from tests.helpers import assert_problem, create_lender

DPD_90 = {"name": "DPD_90", "type": "dpd_threshold", "min_dpd": 90, "to_level": "supervisor"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def lender_with(client: httpx.AsyncClient, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return await create_lender(
        client, "acme", settings={"timezone": "America/New_York", "escalation_rules": rules}
    )


async def sweep(app: FastAPI, when: str) -> int:
    return (await run_sweeps(app.state.sessionmaker, at(when)))["escalations_auto"]


async def explain(client: httpx.AsyncClient, debt_id: str, when: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/debts/{debt_id}/escalation/explain",
        headers={**ADMIN, "X-Arrears-Now": when + "Z"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_dpd_threshold_fires_on_the_day_not_the_day_before(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    lender = await lender_with(client, [DPD_90])
    # Due 2025-12-01: DPD 89 on 2026-02-28 and 90 on 2026-03-01, counted in New York.
    debt = await new_debt(client, lender["id"], due_date="2025-12-01")

    assert await sweep(app, "2026-02-28T12:00:00") == 0
    # 03:00 UTC on March 1st is still February 28th in New York.
    assert await sweep(app, "2026-03-01T03:00:00") == 0
    before = await explain(client, debt["id"], "2026-02-28T12:00:00")
    assert before["escalation_level"] == "collector" and before["dpd"] == 89
    assert before["because"] == [] and before["pending"] is None
    assert before["next_rule"] == {
        "name": "DPD_90",
        "type": "dpd_threshold",
        "to_level": "supervisor",
        "threshold": 90,
        "current": 89,
        "days": None,
        "met": False,
        "fired_already": False,
        "description": "DPD 89 of 90 → supervisor",
    }
    assert {o["to_level"]: o["needs_approval"] for o in before["manual_options"]} == {
        "senior_collector": False,
        "supervisor": False,
        "external_agency": True,
        "write_off": True,
    }
    assert await scalar(app, "SELECT count(*) FROM escalations") == 0

    assert await sweep(app, "2026-03-01T12:00:00") == 1
    shown = await get_debt(client, debt["id"])
    assert (shown["escalation_level"], shown["status"]) == ("supervisor", "escalated")
    listed = (await client.get(f"/v1/debts/{debt['id']}/escalations", headers=ADMIN)).json()
    (escalation,) = listed["items"]
    assert escalation["status"] == "approved" and escalation["reason"] == "dpd_threshold"
    assert escalation["requested_by"] == "system"
    assert escalation["rule"] == {
        "name": "DPD_90",
        "type": "dpd_threshold",
        "threshold": 90,
        "value": 90,
        "days": None,
    }
    events = (await client.get(f"/v1/debts/{debt['id']}/events", headers=ADMIN)).json()["items"]
    requested = next(e for e in events if e["type"] == "escalation.requested")
    assert requested["actor"] == "system" and requested["data"]["rule"]["name"] == "DPD_90"
    moved = next(e for e in events if e["type"] == "debt.escalated")
    assert moved["data"]["rule"] == "DPD_90"

    # Idempotent: later sweeps change nothing.
    assert await sweep(app, "2026-03-01T12:00:00") == 0
    assert await sweep(app, "2026-03-05T12:00:00") == 0
    assert await scalar(app, "SELECT count(*) FROM escalations") == 1

    after = await explain(client, debt["id"], "2026-03-01T12:00:00")
    assert [e["id"] for e in after["because"]] == [escalation["id"]]
    assert after["because"][0]["rule"]["name"] == "DPD_90"
    assert after["rules"] == [] and after["next_rule"] is None


async def test_legal_rule_waits_for_approval_and_a_rejection_is_not_retried(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    legal = {
        "name": "LEGAL_120",
        "type": "dpd_threshold",
        "min_dpd": 120,
        "to_level": "legal_notice",
    }
    lender = await lender_with(client, [DPD_90, legal])
    debt = await new_debt(client, lender["id"], due_date="2025-11-01")  # DPD 120 on 2026-03-01
    # Both rules in one run, in the lender's order: to supervisor, then legal (pending).
    assert await sweep(app, "2026-03-01T12:00:00") == 2
    shown = await get_debt(client, debt["id"])
    assert (shown["escalation_level"], shown["status"]) == ("supervisor", "escalated")
    pending = (await client.get("/v1/escalations?status=pending_approval", headers=ADMIN)).json()[
        "items"
    ]
    assert [(p["to_level"], p["rule"]["name"]) for p in pending] == [("legal_notice", "LEGAL_120")]
    explained = await explain(client, debt["id"], "2026-03-01T12:00:00")
    assert explained["pending"]["id"] == pending[0]["id"] and explained["next_rule"] is None

    rejected = await client.post(f"/v1/escalations/{pending[0]['id']}/reject", headers=ADMIN)
    assert rejected.status_code == 200
    assert await sweep(app, "2026-03-02T12:00:00") == 0
    explained = await explain(client, debt["id"], "2026-03-02T12:00:00")
    (progress,) = explained["rules"]
    assert progress["name"] == "LEGAL_120" and progress["met"] and progress["fired_already"]
    assert explained["next_rule"] is None


async def test_broken_plans_rule_at_its_count(client: httpx.AsyncClient, app: FastAPI) -> None:
    rule = {"name": "BROKEN_2", "type": "broken_plans", "count": 2, "to_level": "senior_collector"}
    lender = await lender_with(client, [rule])
    debt = await new_debt(client, lender["id"])
    # The plans domain counts broken plans on the debt; set the counter as it would.
    await _set_broken_plans(app, debt["id"], 1)
    assert await sweep(app, "2026-03-01T12:00:00") == 0
    explained = await explain(client, debt["id"], "2026-03-01T12:00:00")
    assert explained["next_rule"]["description"] == "broken plans 1 of 2 → senior_collector"
    await _set_broken_plans(app, debt["id"], 2)
    assert await sweep(app, "2026-03-01T12:00:00") == 1
    assert (await get_debt(client, debt["id"]))["escalation_level"] == "senior_collector"
    (escalation,) = (await client.get("/v1/escalations", headers=ADMIN)).json()["items"]
    assert escalation["reason"] == "broken_plan" and escalation["rule"]["value"] == 2


async def _set_broken_plans(app: FastAPI, debt_id: str, count: int) -> None:
    async with app.state.engine.begin() as conn:
        stmt = update(Debt).where(Debt.id == uuid.UUID(debt_id)).values(broken_plans=count)
        await conn.execute(stmt)


async def test_disputed_and_closed_debts_are_not_escalated(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    lender = await lender_with(client, [DPD_90])
    recalled = await new_debt(client, lender["id"], "D-1", due_date="2025-11-01")
    response = await client.patch(
        f"/v1/debts/{recalled['id']}", json={"status": "recalled"}, headers=ADMIN
    )
    assert response.status_code == 200
    assert await sweep(app, "2026-03-01T12:00:00") == 0


async def test_sweeps_running_at_once_escalate_each_debt_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    lender = await lender_with(client, [DPD_90])
    debts = [
        await new_debt(client, lender["id"], f"D-{n}", due_date="2025-11-01") for n in range(6)
    ]
    when = at("2026-03-01T12:00:00")
    results = await asyncio.gather(*(run_sweeps(app.state.sessionmaker, when) for _ in range(3)))
    assert sum(r["escalations_auto"] for r in results) == 6
    assert all(r["escalations_auto"] >= 0 for r in results)
    assert await scalar(app, "SELECT count(*) FROM escalations") == 6
    for debt in debts:
        assert (await get_debt(client, debt["id"]))["escalation_level"] == "supervisor"


@pytest.mark.parametrize(
    ("rule", "pointer"),
    [
        ({"type": "dpd_threshold", "to_level": "supervisor"}, "min_dpd"),
        ({"type": "dpd_threshold", "min_dpd": 0, "to_level": "supervisor"}, "min_dpd"),
        ({"type": "dpd_threshold", "min_dpd": 30, "to_level": "collector"}, "to_level"),
        ({"type": "bogus", "count": 1, "to_level": "supervisor"}, ""),
        ({"type": "refused", "count": 1, "to_level": "supervisor", "x": 1}, "x"),
        ({"type": "unanswered_attempts", "count": 3, "to_level": "supervisor"}, "days"),
        (
            {
                "type": "broken_plans",
                "count": 1,
                "to_level": "litigation",
                "from_levels": ["collector"],
            },
            "",
        ),
        ({"name": "has space", "type": "refused", "count": 1, "to_level": "supervisor"}, "name"),
    ],
)
async def test_malformed_rules_are_422(
    client: httpx.AsyncClient, rule: dict[str, Any], pointer: str
) -> None:
    response = await client.post(
        "/v1/lenders",
        json={"code": "bad", "name": "Bad", "settings": {"escalation_rules": [rule]}},
        headers=ADMIN,
    )
    body = assert_problem(response, 422)
    assert all(e["pointer"].startswith("#/settings/escalation_rules/0") for e in body["errors"])
    if pointer:
        assert any(e["pointer"].endswith(pointer) for e in body["errors"]), body["errors"]
    assert "has space" not in response.text


async def test_rules_are_stored_normalised_and_patched(client: httpx.AsyncClient) -> None:
    lender = await create_lender(client, "acme")
    rules = [
        {"type": "refused", "count": 2, "days": 30, "to_level": "supervisor"},
        {"type": "unanswered_attempts", "count": 5, "days": 7, "to_level": "senior_collector"},
    ]
    response = await client.patch(
        f"/v1/lenders/{lender['id']}", json={"settings": {"escalation_rules": rules}}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    stored = response.json()["settings"]["escalation_rules"]
    assert [r["name"] for r in stored] == ["refused_2", "unanswered_attempts_5"]
    assert stored[0]["days"] == 30 and stored[0]["from_levels"] is None
    twice = [dict(rules[0], name="R"), dict(rules[1], name="R")]
    duplicate = await client.patch(
        f"/v1/lenders/{lender['id']}", json={"settings": {"escalation_rules": twice}}, headers=ADMIN
    )
    assert_problem(duplicate, 422)
    again = await client.get(f"/v1/lenders/{lender['id']}", headers=ADMIN)
    assert again.json()["settings"]["escalation_rules"] == stored
