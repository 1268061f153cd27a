"""Plain async helpers that build state through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create_lender(http: httpx.AsyncClient, code: str, **fields: Any) -> dict[str, Any]:
    response = await http.post(
        "/v1/lenders", json={"code": code, "name": f"Lender {code}", **fields}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_key(
    http: httpx.AsyncClient, role: str, *, lender_id: str | None = None, agent_id: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"role": role, "name": f"{role} key"}
    if lender_id:
        body["lender_id"] = lender_id
    if agent_id:
        body["agent_id"] = agent_id
    response = await http.post("/v1/api-keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_agent(
    http: httpx.AsyncClient, tier: str = "junior", lender_ids: list[str] | None = None
) -> dict[str, Any]:
    body = {"name": f"{tier} agent", "tier": tier, "lender_ids": lender_ids or []}
    response = await http.post("/v1/agents", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_problem(
    response: httpx.Response, status: int, slug: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status
    assert body["type"].startswith("urn:arrears:problem:")
    if slug is not None:
        assert body["type"] == f"urn:arrears:problem:{slug}", body
    assert "x-request-id" in response.headers
    return body
