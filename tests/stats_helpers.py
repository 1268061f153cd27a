"""A small two-lender portfolio built through the API at fixed instants, for the statistics tests.

Lender `acme` counts in New York time, lender `beta` in Tokyo time. What is built (all figures in
the tests are computed by hand from this list):

acme (USD), debts created 2026-03-01T17:00Z (12:00 New York, 1 March):
  A1 credit_card     principal 100,000 balance 120,000 fees 0      due 2026-02-20, assigned to the agent
  A2 personal_loan   principal  50,000 balance  50,000 fees 1,000  due 2025-12-01
  A3 credit_card     principal  30,000 balance  30,000 fees 0      due 2026-03-05
  A4 credit_card     principal  10,000 balance  10,000 fees 0      due 2025-06-01
beta (EUR), created at the same instant (02:00 on 2 March in Tokyo):
  B1 telecom_bill    principal   7,000 balance   7,000 fees 0      due 2026-01-31
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.deps import session_scope
from app.plans.breaking import sweep_broken_plans
from app.stats.snapshots import take_snapshots
from tests.conftest import ADMIN
from tests.debts_helpers import debt_item
from tests.helpers import bearer, create_agent, create_key, create_lender

CREATED = "2026-03-01T17:00:00Z"
QUERY_NOW = "2026-03-10T12:00:00Z"  # 08:00 on 10 March in New York, 21:00 in Tokyo


@dataclass
class Book:
    acme: str
    beta: str
    agent_id: str
    debts: dict[str, str]
    keys: dict[str, dict[str, str]]
    blocked_reasons: list[str]


def at(headers: dict[str, str], instant: str) -> dict[str, str]:
    return {**headers, "X-Arrears-Now": instant}


DEBTS: dict[str, dict[str, Any]] = {
    "A1": {
        "product": "credit_card",
        "principal_minor": 100_000,
        "balance_minor": 120_000,
        "due_date": "2026-02-20",
    },
    "A2": {
        "product": "personal_loan",
        "principal_minor": 50_000,
        "balance_minor": 50_000,
        "fees_minor": 1_000,
        "due_date": "2025-12-01",
    },
    "A3": {
        "product": "credit_card",
        "principal_minor": 30_000,
        "balance_minor": 30_000,
        "due_date": "2026-03-05",
    },
    "A4": {
        "product": "credit_card",
        "principal_minor": 10_000,
        "balance_minor": 10_000,
        "due_date": "2025-06-01",
    },
    "B1": {
        "product": "telecom_bill",
        "currency": "EUR",
        "principal_minor": 7_000,
        "balance_minor": 7_000,
        "due_date": "2026-01-31",
    },
}

# (debt, occurred_at, channel, direction, outcome), imported by the lender.
IMPORTED = [
    ("A1", "2026-03-01T03:00:00Z", "phone", "outbound", "no_answer"),  # 28 Feb in New York
    ("A1", "2026-03-02T15:00:00Z", "phone", "outbound", "no_answer"),
    ("A1", "2026-03-02T16:00:00Z", "phone", "outbound", "conversation"),
    ("A1", "2026-03-04T15:00:00Z", "email", "outbound", "delivered"),
    ("A1", "2026-03-05T15:00:00Z", "phone", "inbound", "callback_requested"),
    ("A1", "2026-02-10T15:00:00Z", "phone", "outbound", "conversation"),  # before the range
    ("A2", "2026-03-06T15:00:00Z", "sms", "outbound", "refused"),
    ("B1", "2026-03-03T05:00:00Z", "letter", "outbound", "delivered"),
]

# (debt, amount, paid_at, request now)
PAYMENTS = [
    ("A1", 20_000, "2026-03-02T15:00:00Z"),
    ("A4", 10_000, "2026-03-03T15:00:00Z"),
    ("B1", 2_000, "2026-03-01T20:00:00Z"),  # 1 March in UTC, 2 March in Tokyo
]


async def sweep(app: FastAPI, instant: str, fn: Any) -> int:
    from datetime import datetime

    now = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    async with session_scope(app.state.sessionmaker) as session:
        return int(await fn(session, now))


async def _post_debts(http: httpx.AsyncClient, keys: dict[str, dict[str, str]]) -> dict[str, str]:
    ids = {}
    for ref, fields in DEBTS.items():
        owner = keys["acme"] if ref.startswith("A") else keys["beta"]
        response = await http.post(
            "/v1/debts", json=debt_item(ref, **fields), headers=at(owner, CREATED)
        )
        assert response.status_code == 201, response.text
        ids[ref] = response.json()["id"]
    return ids


async def _import(http: httpx.AsyncClient, book: Book) -> None:
    for ref, occurred_at, channel, direction, outcome in IMPORTED:
        owner = book.keys["acme"] if ref.startswith("A") else book.keys["beta"]
        item = {
            "occurred_at": occurred_at,
            "channel": channel,
            "direction": direction,
            "outcome": outcome,
        }
        response = await http.post(
            f"/v1/debts/{book.debts[ref]}/contacts/import",
            json={"items": [item]},
            headers=at(owner, "2026-03-09T12:00:00Z"),
        )
        assert response.status_code == 201, response.text


async def _live(http: httpx.AsyncClient, book: Book) -> None:
    """Two promises by the agent (A3 kept, A2 broken) and one blocked late-evening call on A1."""
    agent = book.keys["agent"]
    for ref, instant, amount, due in (
        ("A3", "2026-03-02T17:00:00Z", 5_000, "2026-03-04"),
        ("A2", "2026-03-03T17:00:00Z", 1_000, "2026-03-05"),
    ):
        body = {
            "channel": "phone",
            "outcome": "promise_to_pay",
            "promise": {"amount_minor": amount, "due_date": due},
        }
        response = await http.post(
            f"/v1/debts/{book.debts[ref]}/contacts", json=body, headers=at(agent, instant)
        )
        assert response.status_code == 201, response.text
    late = "2026-03-03T02:30:00Z"  # 21:30 in New York
    response = await http.post(
        f"/v1/debts/{book.debts['A1']}/contacts", json={"channel": "phone"}, headers=at(agent, late)
    )
    assert response.status_code == 409, response.text
    book.blocked_reasons = [r["code"] for r in response.json()["reasons"]]


async def _pay(http: httpx.AsyncClient, book: Book) -> None:
    rows = [*PAYMENTS, ("A3", 5_000, "2026-03-04T15:00:00Z")]
    for i, (ref, amount, paid_at) in enumerate(rows):
        owner = book.keys["acme"] if ref.startswith("A") else book.keys["beta"]
        body = {
            "amount_minor": amount,
            "currency": "EUR" if ref == "B1" else "USD",
            "paid_at": paid_at,
            "external_ref": f"P-{i}",
        }
        response = await http.post(
            f"/v1/debts/{book.debts[ref]}/payments", json=body, headers=at(owner, paid_at)
        )
        assert response.status_code == 201, response.text


async def build_book(http: httpx.AsyncClient, app: FastAPI) -> Book:
    acme = await create_lender(http, "acme", settings={"timezone": "America/New_York"})
    beta = await create_lender(http, "beta", settings={"timezone": "Asia/Tokyo"})
    agent = await create_agent(http, "senior", [acme["id"]])
    keys = {
        "acme": bearer((await create_key(http, "lender", lender_id=acme["id"]))["key"]),
        "beta": bearer((await create_key(http, "lender", lender_id=beta["id"]))["key"]),
        "acme_viewer": bearer((await create_key(http, "viewer", lender_id=acme["id"]))["key"]),
        "viewer": bearer((await create_key(http, "viewer"))["key"]),
        "agent": bearer((await create_key(http, "agent", agent_id=agent["id"]))["key"]),
        "admin": ADMIN,
    }
    book = Book(acme["id"], beta["id"], agent["id"], {}, keys, [])
    book.debts = await _post_debts(http, keys)
    patched = await http.patch(
        f"/v1/debts/{book.debts['A1']}",
        json={"assigned_agent_id": agent["id"]},
        headers=at(ADMIN, CREATED),
    )
    assert patched.status_code == 200, patched.text
    # The first snapshot: 1 March in New York, 2 March in Tokyo; taking it again writes nothing.
    assert await sweep(app, "2026-03-01T18:00:00Z", take_snapshots) == 5
    assert await sweep(app, "2026-03-01T19:00:00Z", take_snapshots) == 0
    await _import(http, book)
    await _live(http, book)
    await _pay(http, book)
    assert await sweep(app, QUERY_NOW, sweep_broken_plans) == 1  # the A2 promise breaks
    # 10 March everywhere: A4 is paid and no longer snapshotted.
    assert await sweep(app, QUERY_NOW, take_snapshots) == 4
    return book


async def stats(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await http.get(f"/v1/stats/{path}", params=params, headers=at(headers, QUERY_NOW))
