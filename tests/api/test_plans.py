"""Repayment plans: exact schedules, validation, one open plan per debt, approval, cancel, roles."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from app.plans.models import Frequency
from app.plans.schedule import due_dates, split
from tests.conftest import ADMIN, scalar
from tests.helpers import assert_problem
from tests.plans_helpers import Desk, debt_state, make_debt, make_desk, post_plan, timeline


@pytest.fixture
async def desk(client: httpx.AsyncClient) -> Desk:
    return await make_desk(client)


def test_monthly_dates_keep_the_first_day_and_clamp_to_month_ends() -> None:
    assert due_dates(date(2026, 1, 31), 4, Frequency.MONTHLY) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert due_dates(date(2028, 1, 31), 3, Frequency.MONTHLY) == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]
    assert due_dates(date(2027, 12, 30), 3, Frequency.MONTHLY)[1:] == [
        date(2028, 1, 30),
        date(2028, 2, 29),
    ]
    assert due_dates(date(2026, 3, 3), 3, Frequency.WEEKLY)[-1] == date(2026, 3, 17)
    assert due_dates(date(2026, 12, 22), 3, Frequency.BIWEEKLY) == [
        date(2026, 12, 22),
        date(2027, 1, 5),
        date(2027, 1, 19),
    ]
    assert split(100_000, 3) == [33_333, 33_333, 33_334]
    assert split(10, 4) == [2, 2, 2, 4] and sum(split(999_999_999_999, 7)) == 999_999_999_999


async def test_generated_monthly_schedule_sums_exactly_and_clamps(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=95_000, fees_minor=5_000)
    created = await post_plan(
        client,
        debt["id"],
        desk.at(desk.junior),
        kind="installment",
        installment_count=4,
        frequency="monthly",
        first_due_date="2027-12-31",
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    assert created.headers["location"] == f"/v1/plans/{plan['id']}"
    assert plan["status"] == "active" and plan["total_minor"] == 100_000  # balance + fees
    schedule = [(i["seq"], i["due_date"], i["amount_minor"]) for i in plan["installments"]]
    assert schedule == [
        (1, "2027-12-31", 25_000),
        (2, "2028-01-31", 25_000),
        (3, "2028-02-29", 25_000),
        (4, "2028-03-31", 25_000),
    ]
    assert all(
        i["paid_minor"] == 0 and i["open_minor"] == i["amount_minor"] for i in plan["installments"]
    )
    assert plan["open_minor"] == 100_000 and plan["frequency"] == "monthly"
    assert plan["discount_pct"] is None and plan["installment_count"] == 4

    other = await make_debt(client, desk, "D-2", balance_minor=100_000)
    uneven = await post_plan(
        client,
        other["id"],
        desk.at(desk.junior),
        kind="installment",
        installment_count=3,
        frequency="monthly",
        first_due_date="2027-01-31",
    )
    dates = [(i["due_date"], i["amount_minor"]) for i in uneven.json()["installments"]]
    assert dates == [("2027-01-31", 33_333), ("2027-02-28", 33_333), ("2027-03-31", 33_334)]
    stored = await scalar(
        app,
        "SELECT sum(i.amount_minor) FROM plan_installments i JOIN plans p ON p.id = i.plan_id"
        " JOIN debts d ON d.id = p.debt_id WHERE d.external_ref = 'D-2'",
    )
    assert stored == 100_000
    reread = await client.get(f"/v1/plans/{plan['id']}", headers=desk.at(desk.lender))
    assert reread.status_code == 200 and reread.json() == plan
    assert (await debt_state(client, debt["id"]))["status"] == "in_plan"


async def test_explicit_schedule_and_weekly_generation(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=10_000)
    schedule = [
        {"due_date": "2026-03-05", "amount_minor": 1_000},
        {"due_date": "2026-04-05", "amount_minor": 9_000},
    ]
    created = await post_plan(
        client,
        debt["id"],
        desk.at(desk.junior),
        kind="installment",
        schedule=schedule,
        grace_days=5,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert [(i["due_date"], i["amount_minor"]) for i in body["installments"]] == [
        ("2026-03-05", 1_000),
        ("2026-04-05", 9_000),
    ]
    assert body["grace_days"] == 5 and body["total_minor"] == 10_000
    weekly_debt = await make_debt(client, desk, "D-2", balance_minor=1_001)
    weekly = await post_plan(
        client,
        weekly_debt["id"],
        desk.at(desk.junior),
        kind="installment",
        installment_count=3,
        frequency="weekly",
        first_due_date="2026-03-01",
    )
    assert [(i["due_date"], i["amount_minor"]) for i in weekly.json()["installments"]] == [
        ("2026-03-01", 333),
        ("2026-03-08", 333),
        ("2026-03-15", 335),
    ]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (
            {"kind": "installment", "total_minor": 50_000, "first_due_date": "2026-04-01"},
            "#/total_minor",
        ),
        ({"kind": "settlement", "first_due_date": "2026-04-01"}, "#/total_minor"),
        (
            {"kind": "settlement", "total_minor": 120_000, "first_due_date": "2026-04-01"},
            "#/total_minor",
        ),
        (
            {"kind": "promise", "total_minor": 120_001, "first_due_date": "2026-04-01"},
            "#/total_minor",
        ),
        (
            {"kind": "installment", "installment_count": 3, "first_due_date": "2026-04-01"},
            "#/frequency",
        ),
        (
            {"kind": "installment", "installment_count": 2, "frequency": "weekly"},
            "#/first_due_date",
        ),
        # 2026-03-01 12:00Z is 07:00 on 1 March in New York: 28 February is the past.
        ({"kind": "installment", "first_due_date": "2026-02-28"}, "#/first_due_date"),
        (
            {
                "kind": "promise",
                "installment_count": 2,
                "frequency": "weekly",
                "first_due_date": "2026-04-01",
            },
            "#/installment_count",
        ),
        (
            {
                "kind": "installment",
                "schedule": [
                    {"due_date": "2026-04-01", "amount_minor": 60_000},
                    {"due_date": "2026-04-01", "amount_minor": 60_000},
                ],
            },
            "#/schedule/1/due_date",
        ),
        (
            {
                "kind": "installment",
                "total_minor": 120_000,
                "schedule": [{"due_date": "2026-04-01", "amount_minor": 100_000}],
            },
            "#/schedule",
        ),
        (
            {
                "kind": "installment",
                "frequency": "weekly",
                "schedule": [{"due_date": "2026-04-01", "amount_minor": 120_000}],
            },
            "#/frequency",
        ),
        ({"kind": "installment", "first_due_date": "2026-04-01", "grace_days": -1}, "#/grace_days"),
        ({"kind": "installment", "first_due_date": "2026-04-01", "surprise": 1}, "#/surprise"),
        ({"kind": "barter", "first_due_date": "2026-04-01"}, "#/kind"),
    ],
)
async def test_invalid_plans_are_422_with_a_pointer_and_change_nothing(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk, body: dict[str, object], pointer: str
) -> None:
    debt = await make_debt(client, desk)
    problem = assert_problem(await post_plan(client, debt["id"], desk.at(desk.junior), **body), 422)
    assert problem["errors"][0]["pointer"] == pointer
    assert await scalar(app, "SELECT count(*) FROM plans") == 0
    assert (await debt_state(client, debt["id"]))["status"] == "active"


async def test_one_open_plan_per_debt_and_the_created_event(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk)
    first = await post_plan(
        client,
        debt["id"],
        desk.at(desk.junior),
        kind="promise",
        total_minor=20_000,
        first_due_date="2026-03-10",
    )
    assert first.status_code == 201 and first.json()["status"] == "active"
    assert (await debt_state(client, debt["id"]))["status"] == "promised"
    second = await post_plan(
        client, debt["id"], desk.at(desk.junior), kind="installment", first_due_date="2026-04-01"
    )
    assert_problem(second, 409, "plan-already-active")
    listed = await client.get(f"/v1/debts/{debt['id']}/plans", headers=desk.at(desk.viewer))
    assert [p["id"] for p in listed.json()["items"]] == [first.json()["id"]]
    created = [e for e in await timeline(client, debt["id"]) if e["type"] == "plan.created"]
    assert len(created) == 1
    assert created[0]["data"]["total_minor"] == 20_000 and created[0]["data"]["kind"] == "promise"
    assert created[0]["data"]["first_due_date"] == "2026-03-10"
    assert created[0]["data"]["breaks_on"] == "2026-03-14"
    assert created[0]["actor"].startswith("agent:")


async def test_settlement_approval_rules(client: httpx.AsyncClient, desk: Desk) -> None:
    debt = await make_debt(client, desk, balance_minor=100_000)
    # Exactly the lender's 30 %: no approval needed, even for a junior collector.
    at_limit = await post_plan(
        client,
        debt["id"],
        desk.at(desk.junior),
        kind="settlement",
        total_minor=70_000,
        first_due_date="2026-03-20",
    )
    assert at_limit.status_code == 201 and at_limit.json()["status"] == "active"
    assert at_limit.json()["discount_pct"] == 30.0 and at_limit.json()["approved_by"] is None
    cancel = await client.post(
        f"/v1/plans/{at_limit.json()['id']}/cancel", headers=desk.at(desk.junior)
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"

    # Above it: a junior's proposal waits for a supervisor; the debt does not move yet.
    deep = await post_plan(
        client,
        debt["id"],
        desk.at(desk.junior),
        kind="settlement",
        total_minor=69_999,
        first_due_date="2026-03-20",
    )
    assert deep.status_code == 201 and deep.json()["status"] == "pending_approval"
    plan_id = deep.json()["id"]
    assert (await debt_state(client, debt["id"]))["status"] == "active"
    assert_problem(
        await post_plan(
            client,
            debt["id"],
            desk.at(desk.supervisor),
            kind="promise",
            first_due_date="2026-03-20",
        ),
        409,
    )
    assert_problem(
        await client.post(f"/v1/plans/{plan_id}/approve", headers=desk.at(desk.junior)), 403
    )
    assert_problem(
        await client.post(f"/v1/plans/{plan_id}/approve", headers=desk.at(desk.lender)), 403
    )
    assert_problem(
        await client.post(f"/v1/plans/{plan_id}/approve", headers=desk.at(desk.viewer)), 403
    )
    approved = await client.post(f"/v1/plans/{plan_id}/approve", headers=desk.at(desk.supervisor))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active" and approved.json()["approved_by"].startswith(
        "agent:"
    )
    assert (await debt_state(client, debt["id"]))["status"] == "in_plan"
    assert_problem(
        await client.post(f"/v1/plans/{plan_id}/approve", headers=desk.at(desk.supervisor)),
        409,
        "plan-not-pending",
    )
    types = [e["type"] for e in await timeline(client, debt["id"])]
    assert types.count("plan.approved") == 1 and types.count("plan.cancelled") == 1

    # A supervisor's own deep settlement is approved by proposing it.
    other = await make_debt(client, desk, "D-2", balance_minor=100_000)
    own = await post_plan(
        client,
        other["id"],
        desk.at(desk.supervisor),
        kind="settlement",
        total_minor=50_000,
        first_due_date="2026-03-20",
    )
    assert (
        own.json()["status"] == "active" and own.json()["approved_by"] == own.json()["created_by"]
    )
    assert own.json()["discount_pct"] == 50.0


async def test_cancel_returns_the_debt_to_its_prior_status(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk)
    plan = (
        await post_plan(
            client,
            debt["id"],
            desk.at(desk.junior),
            kind="installment",
            first_due_date="2026-03-20",
        )
    ).json()
    assert (await debt_state(client, debt["id"]))["status"] == "in_plan"
    assert_problem(
        await client.post(f"/v1/plans/{plan['id']}/cancel", headers=desk.at(desk.lender)), 403
    )
    cancelled = await client.post(f"/v1/plans/{plan['id']}/cancel", headers=desk.at(desk.junior))
    assert (
        cancelled.status_code == 200 and cancelled.json()["cancelled_at"] == "2026-03-01T12:00:00Z"
    )
    assert (await debt_state(client, debt["id"]))["status"] == "active"
    assert_problem(
        await client.post(f"/v1/plans/{plan['id']}/cancel", headers=desk.at(desk.junior)),
        409,
        "plan-not-open",
    )
    again = await post_plan(
        client, debt["id"], desk.at(desk.junior), kind="installment", first_due_date="2026-03-20"
    )
    assert again.status_code == 201
    events = await timeline(client, debt["id"])
    moves = [
        (e["data"]["before"], e["data"]["after"])
        for e in events
        if e["type"] == "debt.status_changed"
    ]
    assert moves == [("active", "in_plan"), ("in_plan", "active"), ("active", "in_plan")]


async def test_a_debt_no_plan_can_cover_is_409(client: httpx.AsyncClient, desk: Desk) -> None:
    debt = await make_debt(client, desk)
    recalled = await client.patch(
        f"/v1/debts/{debt['id']}", json={"status": "recalled"}, headers=desk.at(desk.lender)
    )
    assert recalled.status_code == 200
    response = await post_plan(
        client, debt["id"], desk.at(desk.junior), kind="installment", first_due_date="2026-03-20"
    )
    assert_problem(response, 409, "illegal-status-transition")


async def test_roles_and_tenancy(client: httpx.AsyncClient, desk: Desk) -> None:
    debt = await make_debt(client, desk)
    assert_problem(
        await post_plan(
            client,
            debt["id"],
            desk.at(desk.lender),
            kind="installment",
            first_due_date="2026-03-20",
        ),
        403,
    )
    assert_problem(
        await post_plan(
            client,
            debt["id"],
            desk.at(desk.viewer),
            kind="installment",
            first_due_date="2026-03-20",
        ),
        403,
    )
    by_admin = await post_plan(
        client,
        debt["id"],
        {**ADMIN, "X-Arrears-Now": "2026-03-01T12:00:00Z"},
        kind="installment",
        first_due_date="2026-03-20",
    )
    assert by_admin.status_code == 201
    plan_id = by_admin.json()["id"]
    for reader in (desk.lender, desk.viewer, desk.junior):
        assert (
            await client.get(f"/v1/plans/{plan_id}", headers=desk.at(reader))
        ).status_code == 200
    rival = await make_desk(client, "rival")
    assert_problem(await client.get(f"/v1/plans/{plan_id}", headers=rival.at(rival.lender)), 404)
    assert_problem(await client.get(f"/v1/plans/{plan_id}", headers=rival.at(rival.junior)), 404)
    assert_problem(
        await client.post(f"/v1/plans/{plan_id}/cancel", headers=rival.at(rival.junior)), 404
    )
    assert_problem(
        await client.post(f"/v1/plans/{plan_id}/approve", headers=rival.at(rival.supervisor)), 404
    )
    assert_problem(
        await client.get(f"/v1/debts/{debt['id']}/plans", headers=rival.at(rival.lender)), 404
    )
    assert_problem(
        await post_plan(
            client,
            debt["id"],
            rival.at(rival.junior),
            kind="installment",
            first_due_date="2026-03-20",
        ),
        404,
    )
    assert_problem(
        await client.get("/v1/plans/00000000-0000-7000-8000-000000000000", headers=ADMIN), 404
    )
    assert (await client.get(f"/v1/plans/{plan_id}")).status_code == 401


async def test_concurrent_proposals_on_one_debt_make_one_plan(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt = await make_debt(client, desk)
    responses = await asyncio.gather(
        *(
            post_plan(
                client,
                debt["id"],
                desk.at(desk.junior),
                kind="promise",
                total_minor=1_000 + n,
                first_due_date="2026-03-20",
            )
            for n in range(6)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert await scalar(app, "SELECT count(*) FROM plans") == 1
    created = [e for e in await timeline(client, debt["id"]) if e["type"] == "plan.created"]
    assert len(created) == 1


async def test_idempotency_key_replays_the_created_plan(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt = await make_debt(client, desk)
    headers = {**desk.at(desk.junior), "Idempotency-Key": "plan-D-1"}
    body = {"kind": "installment", "first_due_date": "2026-03-20"}
    first = await client.post(f"/v1/debts/{debt['id']}/plans", json=body, headers=headers)
    again = await client.post(f"/v1/debts/{debt['id']}/plans", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert await scalar(app, "SELECT count(*) FROM plans") == 1


async def test_an_escalated_debt_returns_to_escalated_when_its_plan_ends(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt = await make_debt(client, desk)
    escalated = await client.post(
        f"/v1/debts/{debt['id']}/escalations",
        json={"to_level": "senior_collector", "reason": "manual"},
        headers=desk.at(desk.supervisor),
    )
    assert escalated.status_code == 201, escalated.text
    assert (await debt_state(client, debt["id"]))["status"] == "escalated"
    plan = await post_plan(
        client, debt["id"], desk.at(desk.junior), kind="installment", first_due_date="2026-03-20"
    )
    assert (await debt_state(client, debt["id"]))["status"] == "in_plan"
    await client.post(f"/v1/plans/{plan.json()['id']}/cancel", headers=desk.at(desk.junior))
    state = await debt_state(client, debt["id"])
    assert (state["status"], state["escalation_level"]) == ("escalated", "senior_collector")
