"""One lender's complete world, built through the HTTP API: every kind of object an id can name.

Used by the tenant-isolation matrix (two worlds, one per lender), the log audit and the API fuzzer
(so path parameters can hit real objects). Personal data is deliberately recognisable: the log
audit searches the server's output for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import ADMIN
from tests.helpers import bearer

NOW = "2026-04-07T16:00:00Z"  # noon in New York: outreach allowed
CLOCK = {"X-Arrears-Now": NOW}

# Seeded personal data that must never reach a log line.
DEBTOR_NAME = "Jane Q. Debtor"
DEBTOR_PHONE = "+12125550142"
DEBTOR_EMAIL = "jane.q.debtor@example.com"
DEBTOR_NATIONAL_ID = "123-45-6789"
PERSONAL_DATA = (DEBTOR_NAME, DEBTOR_PHONE, DEBTOR_EMAIL, DEBTOR_NATIONAL_ID, "2125550142")


def debt_body(code: str, ref: str) -> dict[str, Any]:
    return {
        "external_ref": f"{code}-{ref}",
        "debtor": {
            "external_ref": f"{code}-debtor-{ref}",
            "kind": "person",
            "name": DEBTOR_NAME,
            "national_id": DEBTOR_NATIONAL_ID,
            "address": {
                "country": "US",
                "subdivision": "NY",
                "city": "Albany",
                "postal_code": "12207",
            },
            "contact_points": [
                {"channel": "phone", "value": DEBTOR_PHONE, "type": "cell"},
                {"channel": "email", "value": DEBTOR_EMAIL, "type": "personal"},
            ],
        },
        "product": "credit_card",
        "currency": "USD",
        "principal_minor": 100_000,
        "balance_minor": 120_000,
        "due_date": "2026-01-15",
    }


@dataclass
class World:
    """Ids and keys of one lender's objects."""

    code: str
    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)
    refs: list[str] = field(default_factory=list)


async def _post(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await http.post(path, json=body, headers={**headers, **CLOCK})
    assert response.status_code in (200, 201), f"{path}: {response.status_code} {response.text}"
    return dict(response.json())


async def _key(http: httpx.AsyncClient, world: World, name: str, body: dict[str, Any]) -> None:
    created = await _post(http, "/v1/api-keys", {"name": f"{world.code} {name}", **body}, ADMIN)
    world.keys[name] = bearer(created["key"])
    world.key_ids[name] = created["id"]


async def build_world(http: httpx.AsyncClient, code: str) -> World:
    """A lender with keys for every role, a debt and one of everything hanging off it."""
    world = World(code)
    lender = await _post(
        http,
        "/v1/lenders",
        {"code": code, "name": f"Lender {code}", "settings": {"timezone": "America/New_York"}},
        ADMIN,
    )
    ids = world.ids
    ids["lender_id"] = lender["id"]
    for tier in ("junior", "supervisor"):
        agent = await _post(
            http,
            "/v1/agents",
            {"name": f"{code} {tier}", "tier": tier, "lender_ids": [lender["id"]]},
            ADMIN,
        )
        ids[f"{tier}_agent_id"] = agent["id"]
        await _key(http, world, tier, {"role": "agent", "agent_id": agent["id"]})
    ids["agent_id"] = ids["supervisor_agent_id"]
    await _key(http, world, "lender", {"role": "lender", "lender_id": lender["id"]})
    await _key(http, world, "viewer", {"role": "viewer", "lender_id": lender["id"]})
    ids["key_id"] = world.key_ids["viewer"]
    lender_h, agent_h = world.keys["lender"], world.keys["supervisor"]

    debt = await _post(http, "/v1/debts", debt_body(code, "D-1"), lender_h)
    ids["debt_id"], ids["debtor_id"] = debt["id"], debt["debtor_id"]
    world.refs += [debt["external_ref"], debt["debtor"]["external_ref"]]
    second = await _post(http, "/v1/debts", debt_body(code, "D-2"), lender_h)
    ids["second_debt_id"] = second["id"]
    debtor = (await http.get(f"/v1/debtors/{debt['debtor_id']}", headers=ADMIN)).json()
    points = {p["channel"]: p["id"] for p in debtor["contact_points"]}
    ids["point_id"] = points["phone"]

    contact = await _post(
        http,
        f"/v1/debts/{debt['id']}/contacts",
        {"channel": "phone", "contact_point_id": points["phone"]},
        agent_h,
    )
    ids["contact_id"], ids["decision_id"] = contact["id"], contact["decision"]["id"]
    hold = await _post(
        http,
        f"/v1/debtors/{debt['debtor_id']}/holds",
        {"type": "channel_opt_out", "channel": "visit"},
        lender_h,
    )
    ids["hold_id"] = hold["id"]
    await _post(
        http,
        f"/v1/debtors/{debt['debtor_id']}/consents",
        {"type": "outside_hours", "given_at": NOW},
        lender_h,
    )
    payment = {
        "amount_minor": 1_000,
        "currency": "USD",
        "paid_at": NOW,
        "external_ref": f"{code}-pay-1",
    }
    await _post(http, f"/v1/debts/{debt['id']}/payments", payment, lender_h)
    plan = await _post(
        http,
        f"/v1/debts/{debt['id']}/plans",
        {
            "kind": "installment",
            "installment_count": 3,
            "frequency": "monthly",
            "first_due_date": "2026-05-01",
        },
        agent_h,
    )
    ids["plan_id"] = plan["id"]
    escalation = await _post(
        http,
        f"/v1/debts/{second['id']}/escalations",
        {"to_level": "write_off", "reason": "manual"},
        world.keys["junior"],
    )
    ids["escalation_id"] = escalation["id"]
    endpoint = await _post(
        http,
        "/v1/webhook-endpoints",
        {"url": "http://127.0.0.1:9/hook", "event_types": ["debt.created"]},
        lender_h,
    )
    ids["endpoint_id"] = endpoint["id"]
    source = await _post(
        http, "/v1/webhook-sources", {"lender_id": lender["id"], "name": f"{code} telco"}, ADMIN
    )
    ids["source_id"] = source["id"]
    ids["code"] = "US-FDCPA"
    return world
