"""Batch ingestion and payments."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.debts import repository as debts_repository
from tests.conftest import DB_KIND, scalar
from tests.debts_helpers import debt_item
from tests.helpers import assert_problem, bearer, create_key, create_lender

NOW = {"X-Arrears-Now": "2026-03-01T12:00:00Z"}


@pytest.fixture
async def lender_headers(client: httpx.AsyncClient) -> dict[str, str]:
    lender = await create_lender(client, "acme")
    key = await create_key(client, "lender", lender_id=lender["id"])
    return {**bearer(key["key"]), **NOW}


async def test_batch_reports_each_item_and_one_bad_item_blocks_nothing(
    client: httpx.AsyncClient, app: FastAPI, lender_headers: dict[str, str]
) -> None:
    items = [debt_item(f"B-{i}", debtor_ref=f"P-{i % 3}") for i in range(6)]
    items.insert(2, {**debt_item("B-bad"), "currency": "XXX1"})
    items.insert(4, debt_item("B-1"))  # repeated within the batch
    items.append("not an object")
    response = await client.post("/v1/debts/batch", json={"items": items}, headers=lender_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"] == {"created": 6, "updated": 0, "unchanged": 0, "rejected": 3}
    by_index = {r["index"]: r for r in body["results"]}
    assert [r["index"] for r in body["results"]] == list(range(9))
    assert (
        by_index[2]["status"] == "rejected" and by_index[2]["errors"][0]["pointer"] == "#/currency"
    )
    assert (
        by_index[4]["status"] == "rejected"
        and by_index[4]["errors"][0]["pointer"] == "#/external_ref"
    )
    assert by_index[8]["status"] == "rejected" and by_index[8]["external_ref"] is None
    assert all(by_index[i]["status"] == "created" and by_index[i]["id"] for i in (0, 1, 3, 5, 6, 7))
    assert await scalar(app, "SELECT count(*) FROM debts") == 6
    assert await scalar(app, "SELECT count(*) FROM debtors") == 3

    # The same batch again: nothing changes.
    again = (
        await client.post("/v1/debts/batch", json={"items": items}, headers=lender_headers)
    ).json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 6, "rejected": 3}
    assert [r["id"] for r in again["results"]] == [r["id"] for r in body["results"]]
    assert await scalar(app, "SELECT count(*) FROM debt_events") == 6

    items[0] = {**items[0], "balance_minor": 1}
    third = (
        await client.post("/v1/debts/batch", json={"items": items}, headers=lender_headers)
    ).json()
    assert third["counts"] == {"created": 0, "updated": 1, "unchanged": 5, "rejected": 3}
    debt = (
        await client.get(f"/v1/debts/{third['results'][0]['id']}", headers=lender_headers)
    ).json()
    assert debt["balance_minor"] == 1


async def test_batch_limits(client: httpx.AsyncClient, lender_headers: dict[str, str]) -> None:
    too_many = [debt_item(f"B-{i}") for i in range(1001)]
    problem = assert_problem(
        await client.post("/v1/debts/batch", json={"items": too_many}, headers=lender_headers), 422
    )
    assert problem["errors"][0]["pointer"] == "#/items"
    assert_problem(
        await client.post("/v1/debts/batch", json={"items": []}, headers=lender_headers), 422
    )


async def test_two_identical_batches_at_once_create_each_debt_once(
    client: httpx.AsyncClient, app: FastAPI, lender_headers: dict[str, str]
) -> None:
    items = [debt_item(f"C-{i}", debtor_ref=f"P-{i % 5}") for i in range(50)]

    async def post() -> dict[str, object]:
        response = await client.post(
            "/v1/debts/batch", json={"items": items}, headers=lender_headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    first, second = await asyncio.gather(post(), post())
    created = first["counts"]["created"] + second["counts"]["created"]  # type: ignore[index]
    assert created == 50
    assert first["counts"]["rejected"] == second["counts"]["rejected"] == 0  # type: ignore[index]
    assert await scalar(app, "SELECT count(*) FROM debts") == 50
    assert await scalar(app, "SELECT count(*) FROM debtors") == 5
    assert await scalar(app, "SELECT count(*) FROM debt_events WHERE type = 'debt.created'") == 50


async def _debt(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: object
) -> dict[str, object]:
    response = await client.post("/v1/debts", json=debt_item("D-1", **overrides), headers=headers)
    assert response.status_code == 201
    return dict(response.json())


def payment(amount: int, ref: str, currency: str = "USD") -> dict[str, object]:
    return {
        "amount_minor": amount,
        "currency": currency,
        "paid_at": "2026-03-01T09:30:00+01:00",
        "external_ref": ref,
    }


async def test_payments_reduce_balance_then_fees_and_keep_overpayment_as_credit(
    client: httpx.AsyncClient, lender_headers: dict[str, str]
) -> None:
    debt = await _debt(client, lender_headers, balance_minor=10_000, fees_minor=500)
    url = f"/v1/debts/{debt['id']}/payments"
    first = await client.post(url, json=payment(4_000, "p-1"), headers=lender_headers)
    assert first.status_code == 201
    assert first.json()["paid_at"] == "2026-03-01T08:30:00Z"
    state = (await client.get(f"/v1/debts/{debt['id']}", headers=lender_headers)).json()
    assert (state["balance_minor"], state["fees_minor"], state["status"]) == (6_000, 500, "active")
    second = await client.post(url, json=payment(7_000, "p-2"), headers=lender_headers)
    assert (
        second.json()["applied_balance_minor"] == 6_000
        and second.json()["applied_fees_minor"] == 500
    )
    assert second.json()["credit_minor"] == 500
    state = (await client.get(f"/v1/debts/{debt['id']}", headers=lender_headers)).json()
    assert (state["balance_minor"], state["fees_minor"], state["credit_minor"]) == (0, 0, 500)
    assert state["status"] == "paid"
    # An overpayment on a paid debt is still accepted and kept.
    third = await client.post(url, json=payment(100, "p-3"), headers=lender_headers)
    assert third.status_code == 201
    state = (await client.get(f"/v1/debts/{debt['id']}", headers=lender_headers)).json()
    assert state["credit_minor"] == 600
    listed = (await client.get(url, headers=lender_headers)).json()["items"]
    assert [p["external_ref"] for p in listed] == ["p-3", "p-2", "p-1"]
    events = (await client.get(f"/v1/debts/{debt['id']}/events", headers=lender_headers)).json()[
        "items"
    ]
    types = [e["type"] for e in events]
    assert types.count("payment.received") == 3 and "debt.status_changed" in types


async def test_payment_replay_and_conflict(
    client: httpx.AsyncClient, app: FastAPI, lender_headers: dict[str, str]
) -> None:
    debt = await _debt(client, lender_headers)
    url = f"/v1/debts/{debt['id']}/payments"
    first = await client.post(url, json=payment(1_000, "p-1"), headers=lender_headers)
    replay = await client.post(url, json=payment(1_000, "p-1"), headers=lender_headers)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert_problem(await client.post(url, json=payment(2_000, "p-1"), headers=lender_headers), 409)
    problem = assert_problem(
        await client.post(url, json=payment(5, "p-9", "EUR"), headers=lender_headers), 422
    )
    assert problem["errors"][0]["pointer"] == "#/currency"
    assert_problem(await client.post(url, json={**payment(0, "p-0")}, headers=lender_headers), 422)
    state = (await client.get(f"/v1/debts/{debt['id']}", headers=lender_headers)).json()
    assert state["balance_minor"] == 119_000
    assert await scalar(app, "SELECT count(*) FROM payments") == 1


async def test_concurrent_payments_leave_the_exact_sum(
    client: httpx.AsyncClient, app: FastAPI, lender_headers: dict[str, str]
) -> None:
    debt = await _debt(client, lender_headers, balance_minor=100_000)
    url = f"/v1/debts/{debt['id']}/payments"
    responses = await asyncio.gather(
        *(
            client.post(url, json=payment(1_000 + i, f"p-{i}"), headers=lender_headers)
            for i in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20
    state = (await client.get(f"/v1/debts/{debt['id']}", headers=lender_headers)).json()
    assert state["balance_minor"] == 100_000 - sum(1_000 + i for i in range(20))
    assert await scalar(app, "SELECT sum(amount_minor) FROM payments") == sum(
        1_000 + i for i in range(20)
    )


async def test_lender_reposting_a_balance_after_payment_in_full_reopens(
    client: httpx.AsyncClient, lender_headers: dict[str, str]
) -> None:
    debt = await _debt(client, lender_headers, balance_minor=1_000)
    await client.post(
        f"/v1/debts/{debt['id']}/payments", json=payment(1_000, "p-1"), headers=lender_headers
    )
    assert (await client.get(f"/v1/debts/{debt['id']}", headers=lender_headers)).json()[
        "status"
    ] == "paid"
    reposted = await client.post(
        "/v1/debts", json=debt_item("D-1", balance_minor=2_500), headers=lender_headers
    )
    assert reposted.status_code == 200 and reposted.json()["status"] == "active"


async def test_contact_points_endpoints(
    client: httpx.AsyncClient, lender_headers: dict[str, str]
) -> None:
    debt = await _debt(client, lender_headers)
    url = f"/v1/debtors/{debt['debtor_id']}/contact-points"
    created = await client.post(
        url,
        json={"channel": "phone", "value": "518 555 0177", "type": "work"},
        headers=lender_headers,
    )
    assert created.status_code == 201 and created.json()["value"] == "+15185550177"
    again = await client.post(
        url, json={"channel": "phone", "value": "+15185550177"}, headers=lender_headers
    )
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert_problem(
        await client.post(url, json={"channel": "phone", "value": "12"}, headers=lender_headers),
        422,
    )
    patched = await client.patch(
        f"{url}/{created.json()['id']}", json={"status": "invalid"}, headers=lender_headers
    )
    assert patched.status_code == 200
    debtor = (await client.get(f"/v1/debtors/{debt['debtor_id']}", headers=lender_headers)).json()
    statuses = {p["value"]: p["status"] for p in debtor["contact_points"]}
    assert statuses["+15185550177"] == "invalid"
    patched = await client.patch(
        f"/v1/debtors/{debt['debtor_id']}",
        json={
            "timezone": "America/Chicago",
            "inconvenient_times": [{"days": ["mon"], "from": "12:00", "to": "13:00"}],
        },
        headers=lender_headers,
    )
    assert patched.status_code == 200
    assert patched.json()["inconvenient_times"] == [
        {"days": ["mon"], "from": "12:00", "to": "13:00"}
    ]
    assert_problem(
        await client.patch(
            f"/v1/debtors/{debt['debtor_id']}",
            json={"timezone": "Nowhere/X"},
            headers=lender_headers,
        ),
        422,
    )


@pytest.mark.skipif(DB_KIND != "postgres", reason="PostgreSQL's planner and statistics")
async def test_the_lookup_by_external_ref_probes_the_unique_index_whatever_the_statistics(
    client: httpx.AsyncClient, app: FastAPI, lender_headers: dict[str, str]
) -> None:
    """A lender onboarding a portfolio: 20,000 debts arrive before statistics know of them.

    `lender_id = :id AND external_ref = ANY(:refs)` was then planned as a scan of all of the
    lender's debts filtered by the whole array, so every batch cost time in proportion to the
    debts already imported. The lookup must probe the unique key once per ref (migration 0011)."""
    response = await client.post(
        "/v1/debts/batch", json={"items": [debt_item("S-0")]}, headers=lender_headers
    )
    assert response.status_code == 200
    lender_id = await scalar(app, "SELECT lender_id FROM debts WHERE external_ref = 'S-0'")
    debtor_id = await scalar(app, "SELECT debtor_id FROM debts WHERE external_ref = 'S-0'")
    async with app.state.engine.begin() as conn:
        await conn.execute(text("ANALYZE debts"))  # statistics of a lender with one debt
        await conn.execute(
            text(
                "INSERT INTO debts (id, lender_id, external_ref, debtor_id, product, currency, "
                "principal_minor, balance_minor, fees_minor, credit_minor, due_date, status, "
                "escalation_level, compliance_profiles, broken_plans, created_at, updated_at) "
                "SELECT gen_random_uuid(), :lender, 'S-' || g, :debtor, 'credit_card', 'USD', "
                "100, 100, 0, 0, DATE '2026-01-01', 'active', 'collector', '[]', 0, now(), now() "
                "FROM generate_series(1, 20000) AS g"
            ),
            {"lender": lender_id, "debtor": debtor_id},
        )
        refs = [f"S-{i}" for i in range(5000, 6000)]
        plan = (
            await conn.execute(
                text("EXPLAIN (FORMAT JSON) " + debts_repository._BY_REFS_LOCKED),
                {"refs": refs, "lender_id": lender_id},
            )
        ).scalar_one()
    nodes = []

    def walk(node: dict[str, object]) -> None:
        nodes.append(node)
        for child in node.get("Plans", []):  # type: ignore[attr-defined]
            walk(child)

    walk(plan[0]["Plan"])
    on_debts = [n for n in nodes if n.get("Relation Name") == "debts"]
    assert [(n["Node Type"], n.get("Index Name")) for n in on_debts] == [
        ("Index Scan", "uq_debts_external_ref_lender_id")
    ]
    # ... and it finds exactly the debts asked for, in the order of their refs.
    response = await client.post(
        "/v1/debts/batch",
        json={"items": [debt_item(ref) for ref in ["S-7", "S-0", "S-19999", "S-new"]]},
        headers=lender_headers,
    )
    counts = response.json()["counts"]
    assert counts == {"created": 1, "updated": 2, "unchanged": 1, "rejected": 0}
    assert await scalar(app, "SELECT count(*) FROM debts") == 20002
