"""A debt at a litigation level is blocked for direct outreach by the rules service
(`LITIGATION_HOLD`, through `POST /v1/compliance/evaluate`), letters excepted; and the automatic
rules that read the contact history (refusals, unanswered attempts) at their thresholds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.background import run_sweeps
from tests.conftest import ADMIN
from tests.escalations_helpers import climb, get_debt, new_debt, setup_lender

# Tuesday 10:00 in New York: inside every calling window.
WORKDAY = "2026-03-03T15:00:00Z"


async def evaluate(client: httpx.AsyncClient, debt_id: str, channel: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/compliance/evaluate",
        json={"debt_id": debt_id, "channel": channel},
        headers={**ADMIN, "X-Arrears-Now": WORKDAY},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def codes(decision: dict[str, Any]) -> set[str]:
    return {reason["code"] for reason in decision["reasons"]}


@pytest.mark.parametrize("level", ["litigation", "arbitration", "asset_preservation"])
async def test_litigation_levels_block_direct_outreach_but_not_letters(
    client: httpx.AsyncClient, level: str
) -> None:
    team = await setup_lender(client)
    debt = await new_debt(client, team["lender"]["id"])
    before = await evaluate(client, debt["id"], "phone")
    assert before["decision"] == "allow", before

    await climb(client, debt["id"], "legal_notice")
    # A lawyer's letter is not a litigation hold.
    assert "LITIGATION_HOLD" not in codes(await evaluate(client, debt["id"], "phone"))

    await climb_from_legal_notice(client, debt["id"], level)
    assert (await get_debt(client, debt["id"]))["escalation_level"] == level

    for channel in ("phone", "sms", "email", "visit"):
        decision = await evaluate(client, debt["id"], channel)
        assert decision["decision"] == "block", (channel, decision)
        assert "LITIGATION_HOLD" in codes(decision), (channel, decision)
    letter = await evaluate(client, debt["id"], "letter")
    assert "LITIGATION_HOLD" not in codes(letter), letter


async def climb_from_legal_notice(client: httpx.AsyncClient, debt_id: str, level: str) -> None:
    steps = ["litigation", "asset_preservation"] if level == "asset_preservation" else [level]
    for step in steps:
        response = await client.post(
            f"/v1/debts/{debt_id}/escalations",
            json={"to_level": step, "reason": "manual"},
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        approved = await client.post(
            f"/v1/escalations/{response.json()['id']}/approve", headers=ADMIN
        )
        assert approved.status_code == 200, approved.text


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _import(
    client: httpx.AsyncClient, debt_id: str, headers: dict[str, str], items: list[dict[str, Any]]
) -> None:
    response = await client.post(
        f"/v1/debts/{debt_id}/contacts/import",
        json={"items": items},
        headers={**headers, "X-Arrears-Now": "2026-03-10T00:00:00Z"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == len(items)


def _attempt(when: str, outcome: str, direction: str = "outbound") -> dict[str, Any]:
    return {"occurred_at": when, "channel": "phone", "direction": direction, "outcome": outcome}


async def _sweep(app: FastAPI, when: str) -> int:
    return (await run_sweeps(app.state.sessionmaker, _at(when)))["escalations_auto"]


async def test_refused_rule_fires_at_the_refusal(client: httpx.AsyncClient, app: FastAPI) -> None:
    rule = {"name": "REFUSED_1", "type": "refused", "count": 1, "to_level": "supervisor"}
    team = await setup_lender(client, escalation_rules=[rule])
    debt = await new_debt(client, team["lender"]["id"])
    await _import(
        client,
        debt["id"],
        team["lender_key"],
        [
            _attempt("2026-02-27T15:00:00Z", "conversation"),
            _attempt("2026-02-28T15:00:00Z", "refused"),
        ],
    )
    # The day before the refusal, nothing; the day of, the rule fires.
    assert await _sweep(app, "2026-02-27T18:00:00") == 0
    assert (await get_debt(client, debt["id"]))["escalation_level"] == "collector"
    assert await _sweep(app, "2026-02-28T18:00:00") == 1
    shown = await get_debt(client, debt["id"])
    assert (shown["escalation_level"], shown["status"]) == ("supervisor", "escalated")
    (escalation,) = (await client.get("/v1/escalations", headers=ADMIN)).json()["items"]
    assert escalation["reason"] == "refused_to_pay"
    assert escalation["rule"] == {
        "name": "REFUSED_1",
        "type": "refused",
        "threshold": 1,
        "value": 1,
        "days": None,
    }


async def test_unanswered_attempts_within_the_window(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    rule = {
        "name": "UNREACHABLE",
        "type": "unanswered_attempts",
        "count": 3,
        "days": 7,
        "to_level": "senior_collector",
    }
    team = await setup_lender(client, escalation_rules=[rule])
    debt = await new_debt(client, team["lender"]["id"], "D-1")
    spread = await new_debt(client, team["lender"]["id"], "D-2")
    await _import(
        client,
        debt["id"],
        team["lender_key"],
        [
            _attempt("2026-02-24T15:00:00Z", "no_answer"),
            _attempt("2026-02-25T15:00:00Z", "busy"),
            _attempt("2026-02-25T16:00:00Z", "no_answer", "inbound"),
            _attempt("2026-02-25T17:00:00Z", "conversation"),
            _attempt("2026-02-26T15:00:00Z", "voicemail"),
        ],
    )
    # Three unanswered attempts too, but one is older than the 7-day window.
    await _import(
        client,
        spread["id"],
        team["lender_key"],
        [
            _attempt("2026-02-10T15:00:00Z", "no_answer"),
            _attempt("2026-02-24T15:00:00Z", "network_error"),
            _attempt("2026-02-26T15:00:00Z", "not_in_service"),
        ],
    )
    assert await _sweep(app, "2026-02-26T14:00:00") == 0
    explained = await client.get(
        f"/v1/debts/{debt['id']}/escalation/explain",
        headers={**ADMIN, "X-Arrears-Now": "2026-02-26T14:00:00Z"},
    )
    assert explained.json()["next_rule"]["description"] == (
        "unanswered attempts 2 of 3 in the last 7 days → senior_collector"
    )
    assert await _sweep(app, "2026-02-26T16:00:00") == 1
    assert (await get_debt(client, debt["id"]))["escalation_level"] == "senior_collector"
    assert (await get_debt(client, spread["id"]))["escalation_level"] == "collector"
    (escalation,) = (await client.get("/v1/escalations", headers=ADMIN)).json()["items"]
    assert escalation["reason"] == "unreachable" and escalation["rule"]["value"] == 3
    assert escalation["rule"]["days"] == 7
