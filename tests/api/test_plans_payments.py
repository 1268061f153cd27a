"""Payments against plans: oldest installment first, partial, exact and excess amounts, concurrency,
completion (paid, settled with the rest written off), and the timeline with amounts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import scalar
from tests.plans_helpers import Desk, debt_state, make_debt, make_desk, pay, post_plan, timeline


@pytest.fixture
async def desk(client: httpx.AsyncClient) -> Desk:
    return await make_desk(client)


async def _plan(client: httpx.AsyncClient, desk: Desk, debt_id: str, **body: Any) -> dict[str, Any]:
    response = await post_plan(client, debt_id, desk.at(desk.junior), **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _read(client: httpx.AsyncClient, desk: Desk, plan_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/plans/{plan_id}", headers=desk.at(desk.lender))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _installments(plan: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(i["paid_minor"], i["open_minor"], i["status"]) for i in plan["installments"]]


async def test_partial_exact_and_excess_payments_pay_the_oldest_installment_first(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=80_000, fees_minor=10_000)
    plan = await _plan(
        client,
        desk,
        debt["id"],
        kind="installment",
        installment_count=3,
        frequency="monthly",
        first_due_date="2026-03-15",
    )
    assert [i["amount_minor"] for i in plan["installments"]] == [30_000] * 3

    assert (await pay(client, desk, debt["id"], 10_000, "p-1")).status_code == 201  # partial
    state = await _read(client, desk, plan["id"])
    assert _installments(state) == [
        (10_000, 20_000, "open"),
        (0, 30_000, "open"),
        (0, 30_000, "open"),
    ]
    assert state["paid_minor"] == 10_000 and state["status"] == "active"

    await pay(client, desk, debt["id"], 20_000, "p-2")  # exactly the rest of the first
    state = await _read(client, desk, plan["id"])
    assert _installments(state) == [(30_000, 0, "paid"), (0, 30_000, "open"), (0, 30_000, "open")]
    assert state["installments"][0]["paid_at"] == "2026-03-02T10:00:00Z"

    await pay(client, desk, debt["id"], 45_000, "p-3")  # excess goes on to the next installment
    state = await _read(client, desk, plan["id"])
    assert _installments(state) == [
        (30_000, 0, "paid"),
        (30_000, 0, "paid"),
        (15_000, 15_000, "open"),
    ]
    assert (await debt_state(client, debt["id"]))["status"] == "in_plan"

    await pay(client, desk, debt["id"], 20_000, "p-4")  # beyond the plan: kept as credit
    state = await _read(client, desk, plan["id"])
    assert state["status"] == "completed" and state["paid_minor"] == 90_000
    assert state["completed_at"] == "2026-03-01T12:00:00Z" and state["open_minor"] == 0
    assert all(i["status"] == "paid" for i in state["installments"])
    debt_now = await debt_state(client, debt["id"])
    assert (debt_now["status"], debt_now["balance_minor"], debt_now["fees_minor"]) == ("paid", 0, 0)
    assert debt_now["credit_minor"] == 5_000

    events = await timeline(client, debt["id"])
    # Events of one request share their instant; the plan's running total orders them.
    paid = sorted(
        (e["data"] for e in events if e["type"] == "plan.installment_paid"),
        key=lambda d: d["plan_paid_minor"],
    )
    assert [(d["seq"], d["applied_minor"], d["open_minor"], d["status"]) for d in paid] == [
        (1, 10_000, 20_000, "open"),
        (1, 20_000, 0, "paid"),
        (2, 30_000, 0, "paid"),
        (3, 15_000, 15_000, "open"),
        (3, 15_000, 0, "paid"),
    ]
    assert paid[-1]["plan_paid_minor"] == 90_000
    completed = [e["data"] for e in events if e["type"] == "plan.completed"]
    assert completed == [
        {
            "plan_id": plan["id"],
            "kind": "installment",
            "total_minor": 90_000,
            "paid_minor": 90_000,
            "written_off_minor": 0,
        }
    ]
    moves = [
        (e["data"]["before"], e["data"]["after"])
        for e in events
        if e["type"] == "debt.status_changed"
    ]
    assert moves == [("active", "in_plan"), ("in_plan", "paid")]
    # A payment after completion touches no plan.
    await pay(client, desk, debt["id"], 1, "p-5")
    assert [e["type"] for e in await timeline(client, debt["id"])].count(
        "plan.installment_paid"
    ) == 5


async def test_concurrent_payments_on_one_plan_allocate_every_unit_once(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=100_000)
    plan = await _plan(
        client,
        desk,
        debt["id"],
        kind="installment",
        installment_count=4,
        frequency="weekly",
        first_due_date="2026-03-05",
    )
    amounts = [7_000, 11_000, 13_000, 9_000, 10_000, 12_000, 8_000, 5_000]  # 75,000 in all
    responses = await asyncio.gather(
        *(pay(client, desk, debt["id"], amount, f"p-{n}") for n, amount in enumerate(amounts))
    )
    assert [r.status_code for r in responses] == [201] * len(amounts)
    state = await _read(client, desk, plan["id"])
    assert state["paid_minor"] == 75_000 and state["status"] == "active"
    assert _installments(state) == [
        (25_000, 0, "paid"),
        (25_000, 0, "paid"),
        (25_000, 0, "paid"),
        (0, 25_000, "open"),
    ]
    stored = await scalar(app, "SELECT sum(paid_minor) FROM plan_installments")
    assert stored == 75_000
    paid = [
        e["data"]
        for e in await timeline(client, debt["id"])
        if e["type"] == "plan.installment_paid"
    ]
    assert sum(d["applied_minor"] for d in paid) == 75_000
    assert (await debt_state(client, debt["id"]))["balance_minor"] == 25_000

    finals = await asyncio.gather(
        pay(client, desk, debt["id"], 20_000, "last-a"),
        pay(client, desk, debt["id"], 20_000, "last-b"),
    )
    assert [r.status_code for r in finals] == [201, 201]
    state = await _read(client, desk, plan["id"])
    assert state["status"] == "completed" and state["paid_minor"] == 100_000
    events = await timeline(client, debt["id"])
    assert [e["type"] for e in events].count("plan.completed") == 1
    debt_now = await debt_state(client, debt["id"])
    assert (debt_now["status"], debt_now["credit_minor"]) == ("paid", 15_000)


async def test_completed_settlement_settles_the_debt_and_writes_off_the_rest(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=95_000, fees_minor=5_000)
    plan = await _plan(
        client,
        desk,
        debt["id"],
        kind="settlement",
        total_minor=75_000,
        installment_count=2,
        frequency="biweekly",
        first_due_date="2026-03-10",
    )
    assert plan["status"] == "active" and plan["discount_pct"] == 25.0
    assert [(i["due_date"], i["amount_minor"]) for i in plan["installments"]] == [
        ("2026-03-10", 37_500),
        ("2026-03-24", 37_500),
    ]
    await pay(client, desk, debt["id"], 37_500, "p-1")
    assert (await debt_state(client, debt["id"]))["status"] == "in_plan"
    await pay(client, desk, debt["id"], 37_500, "p-2")
    state = await _read(client, desk, plan["id"])
    assert state["status"] == "completed" and state["written_off_minor"] == 25_000
    debt_now = await debt_state(client, debt["id"])
    assert (debt_now["status"], debt_now["balance_minor"], debt_now["fees_minor"]) == (
        "settled",
        0,
        0,
    )
    assert debt_now["credit_minor"] == 0

    events = await timeline(client, debt["id"])
    completed = [e["data"] for e in events if e["type"] == "plan.completed"]
    assert len(completed) == 1 and completed[0]["written_off_minor"] == 25_000
    assert completed[0]["balance_minor"] == {"before": 20_000, "after": 0}
    assert completed[0]["fees_minor"] == {"before": 5_000, "after": 0}
    moves = [
        (e["data"]["before"], e["data"]["after"])
        for e in events
        if e["type"] == "debt.status_changed"
    ]
    assert moves == [("active", "in_plan"), ("in_plan", "settled")]  # settled, never paid
    # Payments reduce the balance first, so the fees were part of what was written off.
    assert completed[0]["paid_minor"] == 75_000


async def test_a_kept_promise_for_part_of_the_debt_returns_it_to_active(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=50_000)
    plan = await _plan(
        client, desk, debt["id"], kind="promise", total_minor=20_000, first_due_date="2026-03-06"
    )
    assert plan["installment_count"] == 1 and plan["frequency"] is None
    assert (await debt_state(client, debt["id"]))["status"] == "promised"
    await pay(client, desk, debt["id"], 20_000, "p-1")
    state = await _read(client, desk, plan["id"])
    assert state["status"] == "completed"
    assert (await debt_state(client, debt["id"]))["status"] == "active"
    types = [e["type"] for e in await timeline(client, debt["id"])]
    assert sorted(types) == sorted(
        [
            "debt.created",
            "plan.created",
            "debt.status_changed",
            "payment.received",
            "plan.installment_paid",
            "plan.completed",
            "debt.status_changed",
        ]
    )


async def test_a_pending_plan_takes_no_payments(client: httpx.AsyncClient, desk: Desk) -> None:
    debt = await make_debt(client, desk, balance_minor=100_000)
    plan = await _plan(
        client, desk, debt["id"], kind="settlement", total_minor=40_000, first_due_date="2026-03-10"
    )
    assert plan["status"] == "pending_approval"
    await pay(client, desk, debt["id"], 10_000, "p-1")
    state = await _read(client, desk, plan["id"])
    assert state["paid_minor"] == 0 and state["status"] == "pending_approval"
    assert (await debt_state(client, debt["id"]))["status"] == "active"
