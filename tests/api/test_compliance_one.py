"""The one-debt facts loader (one round trip on PostgreSQL) sees exactly what the set-based loader
sees: debt, debtor, lender rules, contact points, group, holds, consents and history, including
history beyond the 31-day default when a lender rule needs it. On SQLite `load_one` is the
set-based loader itself, so the comparison holds trivially there and bites on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI

from app.compliance import loader, service
from app.core.auth import Principal
from app.core.db import is_postgres
from app.core.roles import Role
from tests.compliance_helpers import import_calls, setup_debt
from tests.conftest import ADMIN
from tests.debts_helpers import debt_item

AT = datetime.fromisoformat("2026-06-20T15:00:00+00:00")


def _snapshot(facts: Any) -> dict[str, Any]:
    d, b = facts.debt, facts.debtor
    return {
        "debt": (
            d.id,
            d.lender_id,
            d.debtor_id,
            d.status,
            d.escalation_level,
            d.group_key,
            list(d.compliance_profiles),
        ),
        "debtor": (
            b.id,
            b.kind,
            b.country,
            b.subdivision,
            b.city,
            b.postal_code,
            b.timezone,
            b.inconvenient_times,
        ),
        "profiles": facts.lender_profiles,
        "rules": facts.lender_rules,
        "points": sorted(
            (p.id, p.channel, p.value, p.type, p.status, p.created_at) for p in facts.points
        ),
        "group": facts.group,
        "holds": sorted(facts.holds, key=lambda h: h.id),
        "consents": sorted(facts.consents, key=lambda c: c.id),
        "history": sorted(facts.history, key=lambda h: (h.occurred_at, h.id)),
    }


async def _both(app: FastAPI, debt_id: str, scope: frozenset[uuid.UUID] | None) -> tuple[Any, Any]:
    principal = Principal(key_id=uuid.uuid4(), role=Role.ADMIN)
    if scope is not None:
        principal = Principal(key_id=uuid.uuid4(), role=Role.AGENT, agent_lender_ids=scope)
    async with app.state.sessionmaker() as session:
        one = await service.load_one(session, principal, uuid.UUID(debt_id), AT)
        many = await loader.load_facts(session, [uuid.UUID(debt_id)], at=AT, scope=scope)
        if is_postgres(session):  # the one-round-trip path, not the set-based one
            assert type(one.debt).__name__ == "DebtFacts"
    return one, many[uuid.UUID(debt_id)]


async def test_one_debt_loader_matches_the_set_based_loader(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    s = await setup_debt(
        client,
        group_key="G-1",
        debtor={"timezone": "America/Chicago"},
    )
    lender_id = s["lender"]["id"]
    lender_h = s["lender_h"]
    # A second debt of the same debtor and group, a third in another group.
    for ref, group in (("D-2", "G-1"), ("D-3", "G-2")):
        item = debt_item(ref, debtor_ref="P-1", group_key=group)
        item["debtor"]["address"] = {"country": "US", "subdivision": "NY", "city": "Albany"}
        created = await client.post("/v1/debts", json=item, headers=lender_h)
        assert created.status_code == 201, created.text
    debtor = s["debtor_id"]
    at_header = {"X-Arrears-Now": "2026-06-01T12:00:00Z"}
    patch = await client.patch(
        f"/v1/debtors/{debtor}",
        json={"inconvenient_times": [{"days": ["mon", "tue"], "from": "12:00", "to": "13:00"}]},
        headers={**ADMIN, **at_header},
    )
    assert patch.status_code == 200, patch.text
    holds = [
        {"type": "channel_opt_out", "channel": "sms", "contact_point_id": s["phone_id"]},
        {"type": "dispute", "debt_id": s["debt_id"]},
        {"type": "cease_communication"},
    ]
    ids = []
    for body in holds:
        hold = await client.post(
            f"/v1/debtors/{debtor}/holds", json=body, headers={**ADMIN, **at_header}
        )
        assert hold.status_code == 201, hold.text
        ids.append(hold.json()["id"])
    released = await client.post(
        f"/v1/debtors/{debtor}/holds/{ids[2]}/release", headers={**ADMIN, **at_header}
    )
    assert released.status_code in (200, 201), released.text
    consent = await client.post(
        f"/v1/debtors/{debtor}/consents",
        json={
            "type": "direct_prior_consent",
            "channel": "phone",
            "given_at": "2026-06-02T12:00:00Z",
        },
        headers={**ADMIN, "X-Arrears-Now": "2026-06-02T12:00:00Z"},
    )
    assert consent.status_code == 201, consent.text
    old, recent = ["2026-03-02T15:00:00Z", "2026-04-30T15:00:00Z"], ["2026-06-10T15:00:00Z"]
    await import_calls(client, lender_h, s["debt_id"], old + recent)
    await import_calls(client, lender_h, s["debt_id"], ["2026-06-11T15:00:00Z"], channel="email")
    await import_calls(client, lender_h, s["debt_id"], ["2026-06-25T15:00:00Z"])  # after AT

    one, many = await _both(app, s["debt_id"], None)
    assert _snapshot(one) == _snapshot(many)
    assert len(one.history) == 2 and len(one.holds) == 2 and len(one.consents) == 1
    assert len(one.group) == 2 and one.debtor.inconvenient_times

    # A lender rule over 2,400 hours (100 days) needs history beyond the default 31 days:
    # 30 April is in it, 2 March is not.
    rules = [
        {
            "name": "LONG",
            "type": "frequency_cap",
            "channels": ["phone"],
            "max": 50,
            "window": {"unit": "rolling_hours", "length": 2400},
        }
    ]
    put = await client.put(
        f"/v1/lenders/{lender_id}/compliance",
        json={"profiles": ["US_FEDERAL_REGF"], "rules": rules},
        headers=ADMIN,
    )
    assert put.status_code == 200, put.text
    one, many = await _both(app, s["debt_id"], frozenset({uuid.UUID(lender_id)}))
    assert _snapshot(one) == _snapshot(many)
    assert len(one.history) == 3 and one.lender_profiles == ("US_FEDERAL_REGF",)

    # Another tenant's scope sees nothing: 404 from load_one, absent from load_facts.
    async with app.state.sessionmaker() as session:
        scope = frozenset({uuid.uuid4()})
        principal = Principal(key_id=uuid.uuid4(), role=Role.AGENT, agent_lender_ids=scope)
        try:
            await service.load_one(session, principal, uuid.UUID(s["debt_id"]), AT)
        except service.debts_service.DebtNotFound:
            pass
        else:
            raise AssertionError("another tenant's debt was loaded")
        assert await loader.load_facts(session, [uuid.UUID(s["debt_id"])], at=AT, scope=scope) == {}
    # And through the API the evaluation reads the same state on both paths.
    evaluated = await client.post(
        "/v1/compliance/evaluate",
        json={"debt_id": s["debt_id"], "channel": "phone", "at": "2026-06-20T15:00:00Z"},
        headers={**s["agent_h"], "X-Arrears-Now": "2026-06-20T15:00:00Z"},
    )
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["decision"] == "block"  # the dispute hold on this debt
