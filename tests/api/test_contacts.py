"""Contacts: the only door for outreach."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.contacts import service as contacts_service
from app.contacts.schemas import ContactCreate
from app.core.auth import Principal
from app.core.roles import Role
from tests.compliance_helpers import import_calls, setup_debt
from tests.conftest import ADMIN, DB_KIND, scalar
from tests.debts_helpers import debt_item
from tests.helpers import assert_problem

NOON = "2026-04-07T16:00:00Z"  # 12:00 in New York (EDT)


def at(headers: dict[str, str], instant: str = NOON) -> dict[str, str]:
    return {**headers, "X-Arrears-Now": instant}


@pytest.fixture
async def ny(client: httpx.AsyncClient) -> dict[str, object]:
    return await setup_debt(client)


async def test_allowed_contact_is_201_with_its_decision(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    body = {"channel": "phone", "contact_point_id": ny["phone_id"]}
    response = await client.post(
        f"/v1/debts/{ny['debt_id']}/contacts", json=body, headers=at(ny["agent_h"])
    )
    assert response.status_code == 201, response.text
    contact = response.json()
    assert (
        contact["outcome"] == "reserved"
        and contact["source"] == "live"
        and contact["direction"] == "outbound"
    )
    assert contact["to"] == "+12125550142" and contact["agent_id"] == ny["agent"]["id"]
    assert contact["decision"]["decision"] == "allow" and contact["decision"]["reasons"] == []
    assert contact["occurred_at"] == NOON
    assert response.headers["location"] == f"/v1/contacts/{contact['id']}"
    decision = await client.get(
        f"/v1/compliance/decisions/{contact['decision']['id']}", headers=ny["lender_h"]
    )
    assert decision.status_code == 200
    assert decision.json()["contact_id"] == contact["id"] and decision.json()["candidate_zones"]
    listed = (
        await client.get(f"/v1/debts/{ny['debt_id']}/contacts", headers=ny["lender_h"])
    ).json()
    assert [c["id"] for c in listed["items"]] == [contact["id"]]
    assert await scalar(app, "SELECT count(*) FROM compliance_decisions") == 1


async def test_blocked_contact_is_409_and_its_decision_is_kept(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    late = "2026-04-08T01:30:00Z"  # 21:30 in New York
    response = await client.post(
        f"/v1/debts/{ny['debt_id']}/contacts",
        json={"channel": "phone"},
        headers=at(ny["agent_h"], late),
    )
    problem = assert_problem(response, 409, "compliance-blocked")
    assert [r["code"] for r in problem["reasons"]] == ["OUTSIDE_TIME_WINDOW"]
    assert problem["reasons"][0]["clears_at"] == "2026-04-08T12:00:00Z"
    assert problem["next_allowed_at"] == "2026-04-08T12:00:00Z"
    stored = await client.get(
        f"/v1/compliance/decisions/{problem['decision_id']}", headers=ny["agent_h"]
    )
    assert (
        stored.status_code == 200
        and stored.json()["decision"] == "block"
        and stored.json()["contact_id"] is None
    )
    assert await scalar(app, "SELECT count(*) FROM contacts") == 0
    blocked = (
        await client.get("/v1/compliance/decisions", params={"decision": "block"}, headers=ADMIN)
    ).json()
    assert [d["id"] for d in blocked["items"]] == [problem["decision_id"]]


async def test_inbound_contacts_are_recorded_without_evaluation(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    late = "2026-04-08T02:30:00Z"
    body = {"channel": "phone", "direction": "inbound", "to": "+12125550142"}
    response = await client.post(
        f"/v1/debts/{ny['debt_id']}/contacts", json=body, headers=at(ny["agent_h"], late)
    )
    assert response.status_code == 201
    assert response.json()["source"] == "inbound" and response.json()["decision"] is None
    assert response.json()["outcome"] == "conversation"
    assert await scalar(app, "SELECT count(*) FROM compliance_decisions") == 0


async def test_also_debt_ids_must_be_the_same_debtors(client: httpx.AsyncClient, ny: dict) -> None:
    second = await client.post(
        "/v1/debts", json=debt_item("D-2", debtor_ref="debtor-D-1"), headers=ny["lender_h"]
    )
    stranger = await client.post("/v1/debts", json=debt_item("D-3"), headers=ny["lender_h"])
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    bad = await client.post(
        url,
        json={"channel": "phone", "also_debt_ids": [stranger.json()["id"]]},
        headers=at(ny["agent_h"]),
    )
    assert assert_problem(bad, 422)["errors"][0]["pointer"] == "#/also_debt_ids/0"
    ok = await client.post(
        url,
        json={"channel": "phone", "also_debt_ids": [second.json()["id"]]},
        headers=at(ny["agent_h"]),
    )
    assert ok.status_code == 201 and ok.json()["also_debt_ids"] == [second.json()["id"]]
    # The call counts against the other debt too: its 7-day count is now 1.
    decision = await client.post(
        "/v1/compliance/evaluate",
        json={"debt_id": second.json()["id"], "channel": "phone"},
        headers=at(ny["agent_h"]),
    )
    counters = decision.json()["counters"]
    assert any(c.get("count") == 1 for c in counters.values()), counters


async def test_idempotent_retry_returns_the_same_contact(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    headers = {**at(ny["agent_h"]), "Idempotency-Key": "call-1"}
    first = await client.post(url, json={"channel": "phone"}, headers=headers)
    second = await client.post(url, json={"channel": "phone"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true" and second.json() == first.json()
    assert await scalar(app, "SELECT count(*) FROM contacts") == 1
    assert await scalar(app, "SELECT count(*) FROM compliance_decisions") == 1


async def test_outcome_effects(client: httpx.AsyncClient, ny: dict) -> None:
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    h = at(ny["agent_h"])

    async def attempt(**body: object) -> dict:
        r = await client.post(url, json={"channel": "phone", **body}, headers=h)
        assert r.status_code == 201, r.text
        return dict(r.json())

    # wrong_number invalidates the contact point, and it then blocks.
    c = await attempt(contact_point_id=ny["phone_id"])
    r = await client.patch(f"/v1/contacts/{c['id']}", json={"outcome": "wrong_number"}, headers=h)
    assert r.status_code == 200 and r.json()["outcome"] == "wrong_number"
    debtor = (await client.get(f"/v1/debtors/{ny['debtor_id']}", headers=h)).json()
    assert {p["id"]: p["status"] for p in debtor["contact_points"]}[ny["phone_id"]] == "invalid"
    assert_problem(
        await client.patch(f"/v1/contacts/{c['id']}", json={"outcome": "busy"}, headers=h), 409
    )
    blocked = await client.post(
        url, json={"channel": "phone", "contact_point_id": ny["phone_id"]}, headers=h
    )
    assert "DESTINATION_INVALID" in {x["code"] for x in assert_problem(blocked, 409)["reasons"]}

    # cease_requested creates a cease hold on the debt: email is blocked from then on.
    c = await attempt(to="+12125550188")
    await client.patch(f"/v1/contacts/{c['id']}", json={"outcome": "cease_requested"}, headers=h)
    holds = (await client.get(f"/v1/debtors/{ny['debtor_id']}/holds", headers=h)).json()["items"]
    assert [(x["type"], x["debt_id"], x["source"]) for x in holds] == [
        ("cease_communication", ny["debt_id"], "contact")
    ]
    cease = await client.post(url, json={"channel": "email"}, headers=h)
    assert "CEASE_COMMUNICATION" in {x["code"] for x in assert_problem(cease, 409)["reasons"]}


async def test_dispute_and_callback_outcomes(client: httpx.AsyncClient, ny: dict) -> None:
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    h = at(ny["agent_h"])
    c = (await client.post(url, json={"channel": "phone"}, headers=h)).json()
    r = await client.patch(
        f"/v1/contacts/{c['id']}",
        json={"outcome": "callback_requested", "callback_at": "2026-04-09T15:00:00Z"},
        headers=h,
    )
    assert r.status_code == 200
    consents = (await client.get(f"/v1/debtors/{ny['debtor_id']}/consents", headers=h)).json()[
        "items"
    ]
    assert [(x["type"], x["channel"], x["source"]) for x in consents] == [
        ("direct_prior_consent", "phone", "contact")
    ]
    events = (await client.get(f"/v1/debts/{ny['debt_id']}/events", headers=h)).json()["items"]
    callback = [e for e in events if e["type"] == "contact.callback_requested"]
    assert callback and callback[0]["data"]["callback_at"] == "2026-04-09T15:00:00+00:00"
    c = (await client.post(url, json={"channel": "phone"}, headers=h)).json()
    await client.patch(f"/v1/contacts/{c['id']}", json={"outcome": "dispute_raised"}, headers=h)
    assert (await client.get(f"/v1/debts/{ny['debt_id']}", headers=h)).json()[
        "status"
    ] == "disputed"
    evaluated = await client.post(
        "/v1/compliance/evaluate", json={"debt_id": ny["debt_id"], "channel": "phone"}, headers=h
    )
    assert "DISPUTE_VERIFICATION_PENDING" in {x["code"] for x in evaluated.json()["reasons"]}


async def test_busy_releases_the_slot_and_conversation_starts_the_cooldown(
    client: httpx.AsyncClient, ny: dict
) -> None:
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    await import_calls(
        client, ny["lender_h"], ny["debt_id"], [f"2026-04-0{d}T15:00:00Z" for d in range(1, 7)]
    )
    h = at(ny["agent_h"])
    seventh = (await client.post(url, json={"channel": "phone"}, headers=h)).json()
    assert_problem(await client.post(url, json={"channel": "phone"}, headers=h), 409)
    await client.patch(f"/v1/contacts/{seventh['id']}", json={"outcome": "busy"}, headers=h)
    again = await client.post(url, json={"channel": "phone"}, headers=h)
    assert again.status_code == 201
    await client.patch(
        f"/v1/contacts/{again.json()['id']}", json={"outcome": "conversation"}, headers=h
    )
    nextday = await client.post(
        url, json={"channel": "phone"}, headers=at(ny["agent_h"], "2026-04-09T16:00:00Z")
    )
    assert "REGF_CONVERSATION_COOLDOWN" in {
        x["code"] for x in assert_problem(nextday, 409)["reasons"]
    }


async def test_lenders_read_but_do_not_record_contacts(client: httpx.AsyncClient, ny: dict) -> None:
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    assert_problem(
        await client.post(url, json={"channel": "phone"}, headers=at(ny["lender_h"])), 403
    )
    other = await setup_debt(client, code="globex")
    assert_problem(
        await client.post(url, json={"channel": "phone"}, headers=at(other["agent_h"])), 404
    )
    c = (await client.post(url, json={"channel": "phone"}, headers=at(ny["agent_h"]))).json()
    assert_problem(await client.get(f"/v1/contacts/{c['id']}", headers=other["lender_h"]), 404)
    assert_problem(
        await client.patch(
            f"/v1/contacts/{c['id']}", json={"outcome": "busy"}, headers=other["agent_h"]
        ),
        404,
    )
    assert (await client.get(f"/v1/contacts/{c['id']}", headers=ny["lender_h"])).json()[
        "outcome"
    ] == "reserved"


async def test_the_database_refuses_an_unlicensed_live_contact(app: FastAPI, ny: dict) -> None:
    row = {
        "id": uuid.uuid4().hex,
        "lender": uuid.UUID(ny["lender"]["id"]).hex,
        "debt": uuid.UUID(ny["debt_id"]).hex,
        "debtor": uuid.UUID(ny["debtor_id"]).hex,
    }
    columns = (
        "id, lender_id, debt_id, debtor_id, channel, direction, source, outcome, purpose, also_debt_ids, "
        "occurred_at, created_at, updated_at"
    )
    is_pg = app.state.engine.dialect.name == "postgresql"
    ids = (
        "CAST(:id AS uuid), CAST(:lender AS uuid), CAST(:debt AS uuid), CAST(:debtor AS uuid)"
        if is_pg
        else ":id, :lender, :debt, :debtor"
    )
    values = f"{ids}, 'phone', 'outbound', 'live', 'reserved', 'collection', '[]', '2026-04-07 16:00:00', '2026-04-07 16:00:00', '2026-04-07 16:00:00'"
    with pytest.raises(IntegrityError):
        async with app.state.engine.begin() as conn:
            await conn.execute(text(f"INSERT INTO contacts ({columns}) VALUES ({values})"), row)
    # With a decision id that does not allow this debt and channel: refused too.
    with pytest.raises(IntegrityError):
        async with app.state.engine.begin() as conn:
            await conn.execute(
                text(
                    f"INSERT INTO contacts ({columns}, decision_id, decision_verdict) VALUES ({values}, "
                    + ("CAST(:id AS uuid)" if is_pg else ":id")
                    + ", 'allow')"
                ),
                row,
            )
    # An imported row needs no decision.
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO contacts ({columns}) VALUES ({values.replace(chr(39) + 'live' + chr(39), chr(39) + 'import' + chr(39))})"
            ),
            row,
        )
    assert await scalar(app, "SELECT count(*) FROM contacts") == 1


async def test_fifty_concurrent_attempts_with_one_slot_left_allow_exactly_one(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    await import_calls(
        client, ny["lender_h"], ny["debt_id"], [f"2026-04-0{d}T15:00:00Z" for d in range(1, 7)]
    )
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    responses = await asyncio.gather(
        *(client.post(url, json={"channel": "phone"}, headers=at(ny["agent_h"])) for _ in range(50))
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1 and statuses.count(409) == 49, statuses
    for r in responses:
        if r.status_code == 409:
            assert [x["code"] for x in r.json()["reasons"]] == ["REGF_7_CALLS_IN_7_DAYS"]
    assert await scalar(app, "SELECT count(*) FROM compliance_decisions") == 50
    assert await scalar(app, "SELECT count(*) FROM contacts WHERE source = 'live'") == 1


async def test_promise_to_pay_creates_a_promise_plan(client: httpx.AsyncClient, ny: dict) -> None:
    url = f"/v1/debts/{ny['debt_id']}/contacts"
    h = at(ny["agent_h"])
    c = (await client.post(url, json={"channel": "phone"}, headers=h)).json()
    missing = await client.patch(
        f"/v1/contacts/{c['id']}", json={"outcome": "promise_to_pay"}, headers=h
    )
    assert_problem(missing, 422)
    report = {
        "outcome": "promise_to_pay",
        "promise": {"amount_minor": 50_000, "due_date": "2026-04-20"},
    }
    r = await client.patch(f"/v1/contacts/{c['id']}", json=report, headers=h)
    assert r.status_code == 200, r.text
    plans = (
        await client.get(f"/v1/debts/{ny['debt_id']}/plans", headers=at(ny["lender_h"]))
    ).json()["items"]
    assert [(p["kind"], p["status"], p["total_minor"]) for p in plans] == [
        ("promise", "active", 50_000)
    ]
    assert plans[0]["installments"][0]["due_date"] == "2026-04-20"
    assert (await client.get(f"/v1/debts/{ny['debt_id']}", headers=h)).json()[
        "status"
    ] == "promised"
    # A second promise while one is active is a conflict, and the outcome stays unreported.
    c2 = (await client.post(url, json={"channel": "email"}, headers=h)).json()
    again = await client.patch(f"/v1/contacts/{c2['id']}", json=report, headers=h)
    assert_problem(again, 409)
    assert (await client.get(f"/v1/contacts/{c2['id']}", headers=h)).json()["outcome"] == "reserved"


async def test_an_attempt_writes_its_timeline_entry_and_its_webhook_event(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    """The whole record of an attempt (on PostgreSQL one statement): the decision, the contact,
    the debt's timeline entry and one delivery per subscribed endpoint; a refusal only its decision."""

    async def endpoint(types: list[str]) -> str:
        r = await client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://hooks.example.com/arrears", "event_types": types},
            headers=ny["lender_h"],
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    subscribed, other = await endpoint(["contact.recorded"]), await endpoint(["hold.created"])
    url, h = f"/v1/debts/{ny['debt_id']}/contacts", at(ny["agent_h"])
    r = await client.post(url, json={"channel": "phone", "notes": "first try"}, headers=h)
    assert r.status_code == 201, r.text
    contact = r.json()

    async def deliveries(endpoint_id: str) -> list[dict]:
        r = await client.get(
            f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=ny["lender_h"]
        )
        assert r.status_code == 200
        return list(r.json()["items"])

    queued = await deliveries(subscribed)
    assert [(d["event_type"], d["status"], d["attempts"]) for d in queued] == [
        ("contact.recorded", "pending", 0)
    ]
    sql = "SELECT CAST(payload AS TEXT) FROM webhook_deliveries WHERE event_type = :type"
    payload = orjson.loads(await scalar(app, sql, type="contact.recorded"))
    assert payload == {
        "contact_id": contact["id"],
        "debt_id": ny["debt_id"],
        "debtor_id": ny["debtor_id"],
        "channel": "phone",
        "direction": "outbound",
        "source": "live",
        "outcome": "reserved",
        "occurred_at": "2026-04-07T16:00:00+00:00",
    }
    assert await deliveries(other) == []
    events = (await client.get(f"/v1/debts/{ny['debt_id']}/events", headers=h)).json()["items"]
    recorded = [e for e in events if e["type"] == "contact.recorded"]
    assert len(recorded) == 1 and recorded[0]["data"] == {
        "contact_id": contact["id"],
        "channel": "phone",
        "direction": "outbound",
        "outcome": "reserved",
    }
    assert recorded[0]["actor"].startswith("agent:")
    stored = (await client.get(f"/v1/contacts/{contact['id']}", headers=h)).json()
    assert stored["notes"] == "first try" and stored["to"] == "+12125550142"
    assert stored["decision"] == contact["decision"]

    # A refusal keeps its decision and nothing else.
    hold = await client.post(
        f"/v1/debtors/{ny['debtor_id']}/holds", json={"type": "cease_communication"}, headers=h
    )
    assert hold.status_code == 201, hold.text
    blocked = await client.post(url, json={"channel": "phone"}, headers=h)
    decision_id = assert_problem(blocked, 409)["decision_id"]
    kept = await client.get(f"/v1/compliance/decisions/{decision_id}", headers=ny["lender_h"])
    assert kept.status_code == 200 and kept.json()["decision"] == "block"
    assert kept.json()["contact_id"] is None
    assert len(await deliveries(subscribed)) == 1
    assert await scalar(app, "SELECT count(*) FROM contacts") == 1
    events = (await client.get(f"/v1/debts/{ny['debt_id']}/events", headers=h)).json()["items"]
    assert [e["type"] for e in events].count("contact.recorded") == 1


async def test_an_outcome_reported_with_the_attempt_has_its_effects(
    client: httpx.AsyncClient, ny: dict
) -> None:
    url, h = f"/v1/debts/{ny['debt_id']}/contacts", at(ny["agent_h"])
    r = await client.post(url, json={"channel": "phone", "outcome": "dispute_raised"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "dispute_raised" and r.json()["decision"]["decision"] == "allow"
    debt = (await client.get(f"/v1/debts/{ny['debt_id']}", headers=h)).json()
    assert debt["status"] == "disputed"
    holds = (await client.get(f"/v1/debtors/{ny['debtor_id']}/holds", headers=h)).json()["items"]
    assert [(x["type"], x["source"]) for x in holds] == [("dispute", "contact")]
    events = (await client.get(f"/v1/debts/{ny['debt_id']}/events", headers=h)).json()["items"]
    outcome = [e for e in events if e["type"] == "contact.outcome"]
    assert len(outcome) == 1 and outcome[0]["data"]["outcome"] == "dispute_raised"


async def _wait_for_a_lock_waiter(app: FastAPI) -> None:
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    for _ in range(300):
        if await scalar(app, waiting):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the attempt never waited for the debtor's lock")


@pytest.mark.skipif(DB_KIND != "postgres", reason="the row lock and its snapshot are PostgreSQL's")
@pytest.mark.parametrize("first", ["attempt", "inbound"])
async def test_an_attempt_that_waited_for_the_lock_reads_the_history_again(
    client: httpx.AsyncClient, app: FastAPI, ny: dict, first: str
) -> None:
    """An attempt locks the debtor and reads its facts in one statement. Here another contact
    holds the lock — an allowed attempt (the seventh call of the week) or an inbound
    conversation (which starts the cool-down) — and commits while the attempt waits: the
    attempt's snapshot predates that contact, so it must notice and read the history again, or
    it would be allowed."""
    await import_calls(
        client, ny["lender_h"], ny["debt_id"], [f"2026-04-0{d}T15:00:00Z" for d in range(1, 7)]
    )
    noon = datetime(2026, 4, 7, 16, tzinfo=UTC)
    admin = Principal(key_id=uuid.uuid4(), role=Role.ADMIN)
    body = ContactCreate(channel="phone", direction="outbound" if first == "attempt" else "inbound")
    async with app.state.sessionmaker() as holder:
        held = await contacts_service.record_contact(
            holder, admin, uuid.UUID(ny["debt_id"]), body, now=noon
        )
        attempt = asyncio.create_task(
            client.post(
                f"/v1/debts/{ny['debt_id']}/contacts",
                json={"channel": "phone"},
                headers=at(ny["agent_h"]),
            )
        )
        await _wait_for_a_lock_waiter(app)
        await holder.commit()
    response = await attempt
    reason = "REGF_7_CALLS_IN_7_DAYS" if first == "attempt" else "REGF_CONVERSATION_COOLDOWN"
    assert [r["code"] for r in assert_problem(response, 409)["reasons"]] == [reason]
    listed = (
        await client.get(f"/v1/debts/{ny['debt_id']}/contacts", headers=ny["lender_h"])
    ).json()["items"]
    assert [c["id"] for c in listed if c["source"] != "import"] == [str(held.id)]
    decisions = await client.get(
        "/v1/compliance/decisions", params={"debt_id": ny["debt_id"]}, headers=ny["lender_h"]
    )
    expected = ["block", "allow"] if first == "attempt" else ["block"]
    assert [d["decision"] for d in decisions.json()["items"]] == expected
