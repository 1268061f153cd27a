"""Builders for escalation, assignment and worklist tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN
from tests.debts_helpers import debt_item
from tests.helpers import bearer, create_agent, create_key, create_lender

NOW = "2026-03-01T12:00:00Z"
AT_NOW = {"X-Arrears-Now": NOW}

# How to reach each level from `collector` (approvals given by an admin along the way).
PATHS: dict[str, list[str]] = {
    "collector": [],
    "senior_collector": ["senior_collector"],
    "supervisor": ["supervisor"],
    "legal_notice": ["supervisor", "legal_notice"],
    "litigation": ["supervisor", "legal_notice", "litigation"],
    "arbitration": ["supervisor", "legal_notice", "arbitration"],
    "asset_preservation": ["supervisor", "legal_notice", "litigation", "asset_preservation"],
    "external_agency": ["external_agency"],
    "write_off": ["write_off"],
}


async def setup_lender(
    http: httpx.AsyncClient, code: str = "acme", **settings: Any
) -> dict[str, Any]:
    """A lender with a junior agent and a supervisor (keys included) working its debts."""
    lender = await create_lender(http, code, settings={"timezone": "America/New_York", **settings})
    junior = await create_agent(http, "junior", [lender["id"]])
    supervisor = await create_agent(http, "supervisor", [lender["id"]])
    return {
        "lender": lender,
        "junior": junior,
        "supervisor": supervisor,
        "junior_key": bearer((await create_key(http, "agent", agent_id=junior["id"]))["key"]),
        "supervisor_key": bearer(
            (await create_key(http, "agent", agent_id=supervisor["id"]))["key"]
        ),
        "lender_key": bearer((await create_key(http, "lender", lender_id=lender["id"]))["key"]),
    }


async def new_debt(
    http: httpx.AsyncClient, lender_id: str, ref: str = "D-1", **fields: Any
) -> dict[str, Any]:
    response = await http.post(
        "/v1/debts",
        json={**debt_item(ref, **fields), "lender_id": lender_id},
        headers={**ADMIN, **AT_NOW},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def escalate(
    http: httpx.AsyncClient,
    debt_id: str,
    to_level: str,
    headers: dict[str, str] | None = None,
    reason: str = "manual",
) -> httpx.Response:
    return await http.post(
        f"/v1/debts/{debt_id}/escalations",
        json={"to_level": to_level, "reason": reason},
        headers={**(headers or ADMIN), **AT_NOW},
    )


async def climb(http: httpx.AsyncClient, debt_id: str, level: str) -> None:
    """Move a debt to `level` by admin escalations, approving each pending one."""
    for step in PATHS[level]:
        response = await escalate(http, debt_id, step)
        assert response.status_code == 201, response.text
        if response.json()["status"] == "pending_approval":
            approved = await http.post(
                f"/v1/escalations/{response.json()['id']}/approve", headers={**ADMIN, **AT_NOW}
            )
            assert approved.status_code == 200, approved.text


async def get_debt(http: httpx.AsyncClient, debt_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/debts/{debt_id}", headers={**ADMIN, **AT_NOW})
    assert response.status_code == 200, response.text
    return dict(response.json())
