"""Broken plans: the grace boundary in the lender's zone, on read and by the sweep; idempotent and
safe when sweeps run in parallel; late payments; the promise hook used by contacts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.background import run_sweeps
from app.core.clock import parse_instant
from app.core.deps import session_scope
from app.core.errors import InvalidInput
from app.debts.models import Debt
from app.plans import service as plans_service
from app.plans.models import PlanStatus
from tests.conftest import scalar
from tests.helpers import assert_problem
from tests.plans_helpers import Desk, debt_state, make_debt, make_desk, pay, post_plan, timeline

# Due 10 March 2026, 3 grace days: New York (EDT, UTC−4) is still on 13 March until 04:00Z on the 14th.
LAST_GRACE_MINUTE = "2026-03-14T03:59:00Z"
FIRST_BROKEN_MINUTE = "2026-03-14T04:00:00Z"


@pytest.fixture
async def desk(client: httpx.AsyncClient) -> Desk:
    return await make_desk(client)


async def _promise(
    client: httpx.AsyncClient, desk: Desk, ref: str = "D-1", **body: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    debt = await make_debt(client, desk, ref, balance_minor=50_000)
    terms = {"kind": "promise", "total_minor": 20_000, "first_due_date": "2026-03-10", **body}
    response = await post_plan(client, debt["id"], desk.at(desk.junior), **terms)
    assert response.status_code == 201, response.text
    return debt, dict(response.json())


def _broken_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "plan.broken"]


async def test_reading_a_plan_breaks_it_the_day_after_grace_in_the_lenders_zone(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt, plan = await _promise(client, desk)
    url = f"/v1/plans/{plan['id']}"
    for now in ("2026-03-10T15:00:00Z", "2026-03-13T12:00:00Z", LAST_GRACE_MINUTE):
        assert (await client.get(url, headers=desk.at(desk.lender, now))).json()[
            "status"
        ] == "active"
        listed = await client.get(
            f"/v1/debts/{debt['id']}/plans", headers=desk.at(desk.viewer, now)
        )
        assert listed.json()["items"][0]["status"] == "active"
    assert (await debt_state(client, debt["id"]))["status"] == "promised"

    broken = await client.get(url, headers=desk.at(desk.viewer, FIRST_BROKEN_MINUTE))
    assert broken.status_code == 200
    body = broken.json()
    assert body["status"] == "broken" and body["broken_at"] == FIRST_BROKEN_MINUTE
    assert body["installments"][0]["status"] == "missed"
    state = await debt_state(client, debt["id"])
    assert (state["status"], state["broken_plans"]) == ("active", 1)

    later = await client.get(url, headers=desk.at(desk.lender, "2026-04-01T00:00:00Z"))
    assert later.json() == body
    events = await timeline(client, debt["id"])
    assert len(_broken_events(events)) == 1
    data = _broken_events(events)[0]["data"]
    assert data["missed"] == [
        {
            "seq": 1,
            "due_date": "2026-03-10",
            "amount_minor": 20_000,
            "paid_minor": 0,
            "open_minor": 20_000,
        }
    ]
    assert (data["open_minor"], data["broken_plans"], data["grace_days"]) == (20_000, 1, 3)
    assert _broken_events(events)[0]["actor"] == "system"
    moves = [
        (e["data"]["before"], e["data"]["after"])
        for e in events
        if e["type"] == "debt.status_changed"
    ]
    assert moves == [("active", "promised"), ("promised", "active")]
    # The debt is free for a new plan.
    again = await post_plan(
        client,
        debt["id"],
        desk.at(desk.junior, FIRST_BROKEN_MINUTE),
        kind="promise",
        total_minor=1_000,
        first_due_date="2026-03-20",
    )
    assert again.status_code == 201


async def test_the_list_breaks_too_and_concurrent_reads_break_once(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt, plan = await _promise(client, desk)
    reads = await asyncio.gather(
        *(
            client.get(f"/v1/plans/{plan['id']}", headers=desk.at(desk.lender, FIRST_BROKEN_MINUTE))
            for _ in range(4)
        ),
        *(
            client.get(
                f"/v1/debts/{debt['id']}/plans", headers=desk.at(desk.lender, FIRST_BROKEN_MINUTE)
            )
            for _ in range(4)
        ),
        pay(
            client,
            desk,
            debt["id"],
            500,
            "p-late",
            paid_at="2026-03-14T05:00:00Z",
            now=FIRST_BROKEN_MINUTE,
        ),
    )
    assert [r.status_code for r in reads] == [200] * 8 + [201]
    assert {r.json()["status"] for r in reads[:4]} == {"broken"}
    assert {r.json()["items"][0]["status"] for r in reads[4:8]} == {"broken"}
    assert len(_broken_events(await timeline(client, debt["id"]))) == 1
    assert await scalar(app, "SELECT broken_plans FROM debts") == 1
    assert (
        await scalar(app, "SELECT paid_minor FROM plans") == 0
    )  # the late payment was not allocated


async def test_sweep_at_the_grace_boundary_and_run_twice(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt, plan = await _promise(client, desk)
    # A two-installment plan whose first installment is paid: it breaks on the second one only.
    other = await make_debt(client, desk, "D-2", balance_minor=30_000)
    schedule = [
        {"due_date": "2026-03-10", "amount_minor": 10_000},
        {"due_date": "2026-04-10", "amount_minor": 20_000},
    ]
    second = await post_plan(
        client, other["id"], desk.at(desk.junior), kind="installment", schedule=schedule
    )
    await pay(client, desk, other["id"], 10_000, "p-1")
    sessionmaker = app.state.sessionmaker

    assert (await run_sweeps(sessionmaker, parse_instant(LAST_GRACE_MINUTE)))["plans_broken"] == 0
    assert await scalar(app, "SELECT count(*) FROM plans WHERE status = 'active'") == 2
    assert (await run_sweeps(sessionmaker, parse_instant(FIRST_BROKEN_MINUTE)))["plans_broken"] == 1
    assert (await run_sweeps(sessionmaker, parse_instant(FIRST_BROKEN_MINUTE)))["plans_broken"] == 0
    assert (await run_sweeps(sessionmaker, parse_instant("2026-04-14T03:59:00Z")))[
        "plans_broken"
    ] == 0
    assert (await run_sweeps(sessionmaker, parse_instant("2026-04-14T04:00:00Z")))[
        "plans_broken"
    ] == 1
    assert (await run_sweeps(sessionmaker, parse_instant("2026-05-01T00:00:00Z")))[
        "plans_broken"
    ] == 0

    first_state = await client.get(f"/v1/plans/{plan['id']}", headers=desk.at(desk.lender))
    assert first_state.json()["status"] == "broken"
    assert first_state.json()["broken_at"] == FIRST_BROKEN_MINUTE
    second_state = (
        await client.get(f"/v1/plans/{second.json()['id']}", headers=desk.at(desk.lender))
    ).json()
    assert second_state["status"] == "broken"
    assert [i["status"] for i in second_state["installments"]] == ["paid", "missed"]
    for debt_id in (debt["id"], other["id"]):
        state = await debt_state(client, debt_id)
        assert (state["status"], state["broken_plans"]) == ("active", 1)
        assert len(_broken_events(await timeline(client, debt_id))) == 1


async def test_parallel_sweeps_break_each_plan_once(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debts = [(await _promise(client, desk, f"D-{n}"))[0] for n in range(8)]
    now = parse_instant("2026-03-20T12:00:00Z")
    results = await asyncio.gather(*(run_sweeps(app.state.sessionmaker, now) for _ in range(3)))
    assert sum(r["plans_broken"] for r in results) == 8
    assert all(r["plans_broken"] >= 0 for r in results)
    for debt in debts:
        assert len(_broken_events(await timeline(client, debt["id"]))) == 1
        assert (await debt_state(client, debt["id"]))["broken_plans"] == 1
    assert await scalar(app, "SELECT count(*) FROM plans WHERE status = 'broken'") == 8
    assert await scalar(app, "SELECT sum(broken_plans) FROM debts") == 8


async def test_payment_made_in_time_but_reported_late_is_allocated(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt, plan = await _promise(client, desk)
    on_time = await pay(
        client,
        desk,
        debt["id"],
        20_000,
        "p-1",
        paid_at="2026-03-12T15:00:00Z",
        now="2026-03-20T12:00:00Z",
    )
    assert on_time.status_code == 201
    state = (
        await client.get(
            f"/v1/plans/{plan['id']}", headers=desk.at(desk.lender, "2026-03-20T12:00:00Z")
        )
    ).json()
    assert state["status"] == "completed" and state["paid_minor"] == 20_000
    assert (await debt_state(client, debt["id"]))["status"] == "active"


async def test_cancelling_a_plan_past_its_grace_is_409_and_it_breaks(
    client: httpx.AsyncClient, desk: Desk
) -> None:
    debt, plan = await _promise(client, desk)
    cancel = await client.post(
        f"/v1/plans/{plan['id']}/cancel", headers=desk.at(desk.junior, FIRST_BROKEN_MINUTE)
    )
    assert_problem(cancel, 409, "plan-not-open")
    read = await client.get(
        f"/v1/plans/{plan['id']}", headers=desk.at(desk.junior, FIRST_BROKEN_MINUTE)
    )
    assert read.json()["status"] == "broken"
    assert (await debt_state(client, debt["id"]))["broken_plans"] == 1


async def test_a_plan_on_a_recalled_debt_is_cancelled_not_broken(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt, plan = await _promise(client, desk)
    recalled = await client.patch(
        f"/v1/debts/{debt['id']}", json={"status": "recalled"}, headers=desk.at(desk.lender)
    )
    assert recalled.status_code == 200
    assert (await run_sweeps(app.state.sessionmaker, parse_instant(FIRST_BROKEN_MINUTE)))[
        "plans_broken"
    ] == 1
    state = await debt_state(client, debt["id"])
    assert (state["status"], state["broken_plans"]) == ("recalled", 0)
    events = await timeline(client, debt["id"])
    cancelled = [e["data"] for e in events if e["type"] == "plan.cancelled"]
    assert cancelled == [{"plan_id": plan["id"], "kind": "promise", "reason": "debt_closed"}]


async def test_create_promise_applies_the_plan_rules(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    debt = await make_debt(client, desk, balance_minor=50_000)
    now = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
    async with session_scope(app.state.sessionmaker) as session:
        row = await session.get(Debt, uuid.UUID(debt["id"]), with_for_update=True)
        assert row is not None
        with pytest.raises(InvalidInput) as bad_amount:
            await plans_service.create_promise(
                session,
                row,
                amount_minor=60_000,
                due_date=date(2026, 3, 5),
                now=now,
                actor="agent:x",
            )
        assert bad_amount.value.extra["errors"][0]["pointer"] == "#/promise/amount_minor"
        with pytest.raises(InvalidInput) as bad_date:
            await plans_service.create_promise(
                session,
                row,
                amount_minor=6_000,
                due_date=date(2026, 2, 5),
                now=now,
                actor="agent:x",
            )
        assert bad_date.value.extra["errors"][0]["pointer"] == "#/promise/due_date"
        plan = await plans_service.create_promise(
            session, row, amount_minor=6_000, due_date=date(2026, 3, 5), now=now, actor="agent:x"
        )
        assert plan.status is PlanStatus.ACTIVE and plan.total_minor == 6_000
        with pytest.raises(plans_service.PlanAlreadyActive):
            await plans_service.create_promise(
                session,
                row,
                amount_minor=1_000,
                due_date=date(2026, 3, 6),
                now=now,
                actor="agent:x",
            )
    state = await debt_state(client, debt["id"])
    assert state["status"] == "promised"
    assert await scalar(app, "SELECT count(*) FROM plans") == 1


async def test_plan_events_go_to_the_lenders_outbox(
    client: httpx.AsyncClient, app: FastAPI, desk: Desk
) -> None:
    endpoint = await client.post(
        "/v1/webhook-endpoints",
        json={
            "url": "https://hooks.example.com/arrears",
            "event_types": ["plan.created", "plan.broken", "plan.completed", "debt.status_changed"],
        },
        headers=desk.at(desk.lender),
    )
    assert endpoint.status_code == 201, endpoint.text
    broken_debt, _ = await _promise(client, desk, "D-1")
    kept_debt, _ = await _promise(client, desk, "D-2")
    await pay(client, desk, kept_debt["id"], 20_000, "p-1")
    await run_sweeps(app.state.sessionmaker, parse_instant(FIRST_BROKEN_MINUTE))

    async def count(event_type: str) -> object:
        sql = "SELECT count(*) FROM webhook_deliveries WHERE event_type = :t"
        return await scalar(app, sql, t=event_type)

    assert await count("plan.created") == 2
    assert await count("plan.completed") == 1
    assert await count("plan.broken") == 1
    # active → promised twice, promised → active when kept and when broken.
    assert await count("debt.status_changed") == 4
    assert broken_debt["id"] != kept_debt["id"]
