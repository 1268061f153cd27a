"""Dashboard statistics: every figure against hand-computed values (see tests/stats_helpers.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import assert_problem
from tests.stats_helpers import Book, build_book, stats

RANGE = {"from": "2026-03-01", "to": "2026-03-10"}
USD, EUR = "USD", "EUR"


@pytest.fixture
async def book(client: httpx.AsyncClient, app: FastAPI) -> Book:
    return await build_book(client, app)


def money(currency: str, balance: int, principal: int, fees: int) -> dict[str, Any]:
    return {
        "currency": currency,
        "balance_minor": balance,
        "principal_minor": principal,
        "fees_minor": fees,
    }


def groups(items: list[dict[str, Any]]) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    return {g["key"]: (g["count"], g["amounts"]) for g in items}


async def ok(http: httpx.AsyncClient, path: str, who: dict[str, str], **params: Any) -> Any:
    response = await stats(http, path, who, **params)
    assert response.status_code == 200, response.text
    return response.json()


# After everything: A1 100,000 (paid 20,000), A2 50,000 (+1,000 fees), A3 25,000 (paid 5,000),
# A4 paid (0), B1 5,000 EUR. On 10 March: A1 DPD 18, A2 99, A3 5, B1 38.
ACME_STATUS = {
    "active": (3, [money(USD, 175_000, 180_000, 1_000)]),
    "paid": (1, [money(USD, 0, 10_000, 0)]),
}
ACME_BUCKETS = {
    "1-30": (2, [money(USD, 125_000, 130_000, 0)]),
    "91-180": (1, [money(USD, 50_000, 50_000, 1_000)]),
}


async def test_portfolio_for_one_lender_and_for_all(client: httpx.AsyncClient, book: Book) -> None:
    mine = await ok(client, "portfolio", book.keys["acme"])
    assert mine["scope"]["lender_id"] == book.acme
    assert mine["scope"]["timezone"] == "America/New_York"
    assert mine["total"] == {
        "key": "total",
        "count": 4,
        "amounts": [money(USD, 175_000, 190_000, 1_000)],
    }
    assert groups(mine["by_status"]) == ACME_STATUS
    assert groups(mine["by_bucket"]) == ACME_BUCKETS
    assert groups(mine["by_product"]) == {
        "credit_card": (3, [money(USD, 125_000, 140_000, 0)]),
        "personal_loan": (1, [money(USD, 50_000, 50_000, 1_000)]),
    }
    everyone = await ok(client, "portfolio", book.keys["admin"])
    assert everyone["scope"] == {
        "lender_id": None,
        "product": None,
        "timezone": "UTC",
        "from": None,
        "to": None,
    }
    assert everyone["total"]["count"] == 5
    assert everyone["total"]["amounts"] == [
        money(EUR, 5_000, 7_000, 0),
        money(USD, 175_000, 190_000, 1_000),
    ]
    assert groups(everyone["by_bucket"]) == {
        **ACME_BUCKETS,
        "31-60": (1, [money(EUR, 5_000, 7_000, 0)]),
    }
    assert [g["key"] for g in everyone["by_bucket"]] == ["1-30", "31-60", "91-180"]
    assert groups(everyone["by_status"])["active"][0] == 4
    cards = await ok(client, "portfolio", book.keys["admin"], product="credit_card")
    assert cards["total"] == {
        "key": "total",
        "count": 3,
        "amounts": [money(USD, 125_000, 140_000, 0)],
    }
    assert groups(cards["by_status"]) == {
        "active": (2, [money(USD, 125_000, 130_000, 0)]),
        "paid": (1, [money(USD, 0, 10_000, 0)]),
    }


async def test_buckets_follow_each_lenders_local_today(
    client: httpx.AsyncClient, book: Book
) -> None:
    # 02:00Z on 6 March: still 5 March in New York (A3 due 5 March: DPD 0, current), already
    # 6 March in Tokyo. The figures agree with the debts' own `bucket`.
    instant = "2026-03-06T02:00:00Z"
    response = await client.get(
        "/v1/stats/portfolio", headers={**book.keys["acme"], "X-Arrears-Now": instant}
    )
    buckets = groups(response.json()["by_bucket"])
    assert buckets["current"] == (1, [money(USD, 25_000, 30_000, 0)])
    debt = await client.get(
        f"/v1/debts/{book.debts['A3']}", headers={**book.keys["acme"], "X-Arrears-Now": instant}
    )
    assert debt.json()["bucket"] == "current" and debt.json()["dpd"] == 0


async def test_a_write_is_counted_at_once(client: httpx.AsyncClient, book: Book) -> None:
    from tests.debts_helpers import debt_item

    item = debt_item("A5", balance_minor=900, principal_minor=900, due_date="2026-03-10")
    created = await client.post(
        "/v1/debts",
        json=item,
        headers={**book.keys["acme"], "X-Arrears-Now": "2026-03-10T11:00:00Z"},
    )
    assert created.status_code == 201
    mine = await ok(client, "portfolio", book.keys["acme"])
    assert mine["total"]["count"] == 5
    assert groups(mine["by_bucket"])["current"] == (1, [money(USD, 900, 900, 0)])


async def test_contacts_rates_by_channel(client: httpx.AsyncClient, book: Book) -> None:
    mine = await ok(client, "contacts", book.keys["acme"], **RANGE)
    assert mine["scope"]["from"] == "2026-03-01" and mine["scope"]["to"] == "2026-03-10"
    # In New York days 1-10 March: outbound no_answer, conversation, delivered (email), refused
    # (sms) and the two live promises; the 03:00Z call of 1 March is 28 February there.
    assert mine["total"] == {
        "attempts": 6,
        "right_party_contacts": 4,
        "promises": 2,
        "inbound": 1,
        "right_party_contact_rate": 0.666667,
        "promise_rate": 0.5,
    }
    channels = {c.pop("channel"): c for c in mine["by_channel"]}
    assert channels == {
        "email": {
            "attempts": 1,
            "right_party_contacts": 0,
            "promises": 0,
            "inbound": 0,
            "right_party_contact_rate": 0.0,
            "promise_rate": None,
        },
        "phone": {
            "attempts": 4,
            "right_party_contacts": 3,
            "promises": 2,
            "inbound": 1,
            "right_party_contact_rate": 0.75,
            "promise_rate": 0.666667,
        },
        "sms": {
            "attempts": 1,
            "right_party_contacts": 1,
            "promises": 0,
            "inbound": 0,
            "right_party_contact_rate": 1.0,
            "promise_rate": 0.0,
        },
    }
    # A3's promise (due 4 March) was paid on time, A2's (due 5 March) broke.
    assert mine["promises_kept"] == {"due": 2, "kept": 1, "kept_rate": 0.5}
    # All lenders count UTC days: the 03:00Z call and beta's letter come in.
    everyone = await ok(client, "contacts", book.keys["admin"], **RANGE)
    assert everyone["scope"]["timezone"] == "UTC"
    assert everyone["total"]["attempts"] == 8
    assert everyone["total"]["right_party_contact_rate"] == 0.5
    assert {c["channel"]: c["attempts"] for c in everyone["by_channel"]} == {
        "email": 1,
        "letter": 1,
        "phone": 5,
        "sms": 1,
    }
    early = await ok(
        client, "contacts", book.keys["acme"], **{"from": "2026-03-01", "to": "2026-03-04"}
    )
    assert early["promises_kept"] == {"due": 1, "kept": 1, "kept_rate": 1.0}
    assert early["total"]["attempts"] == 5
    loans = await ok(client, "contacts", book.keys["acme"], product="personal_loan", **RANGE)
    assert loans["total"]["attempts"] == 2 and loans["total"]["promises"] == 1
    assert loans["promises_kept"] == {"due": 1, "kept": 0, "kept_rate": 0.0}


async def test_compliance_decisions_by_outcome_and_reason(
    client: httpx.AsyncClient, book: Book
) -> None:
    assert sorted(book.blocked_reasons) == ["OUTSIDE_TIME_WINDOW", "REGF_CONVERSATION_COOLDOWN"]
    mine = await ok(client, "compliance", book.keys["acme"], **RANGE)
    assert mine["total"] == 3
    assert mine["by_decision"] == {"allow": 2, "block": 1}
    assert mine["by_reason"] == [
        {"code": "OUTSIDE_TIME_WINDOW", "decisions": 1},
        {"code": "REGF_CONVERSATION_COOLDOWN", "decisions": 1},
    ]
    # The blocked call was 2 March in New York (02:30Z on 3 March).
    later = await ok(
        client, "compliance", book.keys["acme"], **{"from": "2026-03-03", "to": "2026-03-10"}
    )
    assert later["by_decision"] == {"allow": 1, "block": 0} and later["by_reason"] == []
    theirs = await ok(client, "compliance", book.keys["beta"], **RANGE)
    assert theirs["total"] == 0 and theirs["by_decision"] == {"allow": 0, "block": 0}


async def test_agents(client: httpx.AsyncClient, book: Book) -> None:
    mine = await ok(client, "agents", book.keys["acme"], **RANGE)
    assert mine["items"] == [
        {
            "agent_id": book.agent_id,
            "name": "senior agent",
            "debts_worked": 2,
            "contacts": 2,
            "promises": 2,
            "collected": [{"currency": USD, "amount_minor": 20_000}],
        }
    ]
    before = await ok(
        client, "agents", book.keys["acme"], **{"from": "2026-03-01", "to": "2026-03-01"}
    )
    assert before["items"] == []
    theirs = await ok(client, "agents", book.keys["beta"], **RANGE)
    assert theirs["items"] == []


def period(start: str, end: str, currency: str, collected: int, placed: int, rate: Any) -> dict:
    return {
        "start": start,
        "end": end,
        "currency": currency,
        "collected_minor": collected,
        "placed_minor": placed,
        "recovery_rate": rate,
    }


async def test_recovery_by_day_week_and_month(client: httpx.AsyncClient, book: Book) -> None:
    # Placed 1 March (New York): 120,000 + 50,000 + 1,000 + 30,000 + 10,000 = 211,000.
    daily = await ok(client, "recovery", book.keys["acme"], interval="day", **RANGE)
    assert daily["periods"] == [
        period("2026-03-01", "2026-03-01", USD, 0, 211_000, 0.0),
        period("2026-03-02", "2026-03-02", USD, 20_000, 0, None),
        period("2026-03-03", "2026-03-03", USD, 10_000, 0, None),
        period("2026-03-04", "2026-03-04", USD, 5_000, 0, None),
    ]
    assert daily["totals"] == [period("2026-03-01", "2026-03-10", USD, 35_000, 211_000, 0.165877)]
    weekly = await ok(client, "recovery", book.keys["acme"], interval="week", **RANGE)
    # 1 March 2026 is a Sunday: its week is clipped to the range.
    assert weekly["periods"] == [
        period("2026-03-01", "2026-03-01", USD, 0, 211_000, 0.0),
        period("2026-03-02", "2026-03-08", USD, 35_000, 0, None),
    ]
    everyone = await ok(client, "recovery", book.keys["admin"], interval="month", **RANGE)
    assert everyone["totals"] == [
        period("2026-03-01", "2026-03-10", EUR, 2_000, 7_000, 0.285714),
        period("2026-03-01", "2026-03-10", USD, 35_000, 211_000, 0.165877),
    ]
    # beta's figures count Tokyo days: placed and paid on 2 March there, nothing on 1 March.
    day = {"from": "2026-03-01", "to": "2026-03-01"}
    assert (await ok(client, "recovery", book.keys["admin"], lender_id=book.beta, **day))[
        "periods"
    ] == []
    tokyo = await ok(
        client, "recovery", book.keys["beta"], **{"from": "2026-03-02", "to": "2026-03-02"}
    )
    assert tokyo["scope"]["timezone"] == "Asia/Tokyo"
    assert tokyo["periods"] == [period("2026-03-02", "2026-03-02", EUR, 2_000, 7_000, 0.285714)]


async def test_roll_rates_from_daily_snapshots(client: httpx.AsyncClient, book: Book) -> None:
    mine = await ok(client, "roll-rates", book.keys["acme"], **RANGE)
    # 1 March: A3 current, A1 1-30, A2 61-90, A4 181+; 10 March: A3 and A1 1-30, A2 91-180, A4 paid.
    assert mine["start_debts"] == {"current": 1, "1-30": 1, "61-90": 1, "181+": 1}
    assert [(c["from_bucket"], c["to_bucket"], c["debts"], c["rate"]) for c in mine["cells"]] == [
        ("current", "1-30", 1, 1.0),
        ("1-30", "1-30", 1, 1.0),
        ("61-90", "91-180", 1, 1.0),
        ("181+", "resolved", 1, 1.0),
    ]
    assert mine["lenders_without_snapshot"] == 0
    # beta's first snapshot is 2 March (Tokyo), so it has none for 1 March.
    everyone = await ok(client, "roll-rates", book.keys["admin"], **RANGE)
    assert everyone["lenders_without_snapshot"] == 1 and everyone["cells"] == mine["cells"]
    theirs = await ok(
        client, "roll-rates", book.keys["beta"], **{"from": "2026-03-02", "to": "2026-03-10"}
    )
    assert theirs["start_debts"] == {"1-30": 1}
    assert [(c["from_bucket"], c["to_bucket"], c["rate"]) for c in theirs["cells"]] == [
        ("1-30", "31-60", 1.0)
    ]
    cards = await ok(client, "roll-rates", book.keys["acme"], product="credit_card", **RANGE)
    assert cards["start_debts"] == {"current": 1, "1-30": 1, "181+": 1}


ENDPOINTS = ["portfolio", "recovery", "contacts", "compliance", "agents", "roll-rates"]


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_tenant_scoping(client: httpx.AsyncClient, book: Book, path: str) -> None:
    params = {} if path == "portfolio" else RANGE
    as_lender = await ok(client, path, book.keys["acme"], **params)
    as_bound_viewer = await ok(client, path, book.keys["acme_viewer"], **params)
    as_admin = await ok(client, path, book.keys["admin"], lender_id=book.acme, **params)
    as_viewer = await ok(client, path, book.keys["viewer"], lender_id=book.acme, **params)
    assert as_lender == as_bound_viewer == as_admin == as_viewer
    assert as_lender["scope"]["lender_id"] == book.acme
    # Another lender's id from a lender key or a bound viewer is 404, like any other tenant's id.
    for who in ("beta", "acme_viewer"):
        key = book.keys[who]
        target = book.acme if who == "beta" else book.beta
        assert_problem(await stats(client, path, key, lender_id=target, **params), 404)
    assert_problem(
        await stats(client, path, book.keys["admin"], lender_id=book.agent_id, **params), 404
    )
    assert_problem(await stats(client, path, book.keys["agent"], **params), 403)
    assert_problem(await client.get(f"/v1/stats/{path}"), 401)


async def test_beta_sees_only_beta(client: httpx.AsyncClient, book: Book) -> None:
    theirs = await ok(client, "portfolio", book.keys["beta"])
    assert theirs["total"] == {"key": "total", "count": 1, "amounts": [money(EUR, 5_000, 7_000, 0)]}
    contacts = await ok(client, "contacts", book.keys["beta"], **RANGE)
    assert contacts["total"]["attempts"] == 1 and [
        c["channel"] for c in contacts["by_channel"]
    ] == ["letter"]
    assert (await ok(client, "agents", book.keys["beta"], **RANGE))["items"] == []


async def test_invalid_queries(client: httpx.AsyncClient, book: Book) -> None:
    admin = book.keys["admin"]
    body = assert_problem(
        await stats(client, "contacts", admin, **{"from": "2026-03-10", "to": "2026-03-01"}), 422
    )
    assert body["errors"][0]["pointer"] == "#/from"
    assert_problem(await stats(client, "recovery", admin, interval="year"), 422)
    assert_problem(await stats(client, "portfolio", admin, product="boat"), 422)
    assert_problem(await stats(client, "agents", admin, **{"from": "2026-02-30"}), 422)
    too_many = {"from": "2023-01-01", "to": "2026-03-01", "interval": "day"}
    assert_problem(await stats(client, "recovery", admin, **too_many), 422)
