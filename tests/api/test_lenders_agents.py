from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN, scalar
from tests.helpers import assert_problem, bearer, create_agent, create_key, create_lender


async def test_create_get_patch_lender(client: httpx.AsyncClient) -> None:
    body = {
        "code": "acme-bank",
        "name": "Acme Bank",
        "compliance_profiles": ["US_FEDERAL_REGF"],
        "settings": {"timezone": "America/New_York", "max_discount_pct": 40},
    }
    created = await client.post("/v1/lenders", json=body, headers=ADMIN)
    assert created.status_code == 201
    lender = created.json()
    assert created.headers["location"] == f"/v1/lenders/{lender['id']}"
    assert lender["settings"] == {
        "timezone": "America/New_York",
        "max_discount_pct": 40,
        "escalation_rules": [],
        "assignment": None,
    }
    assert lender["created_at"].endswith("Z")
    patch = {"name": "Acme", "settings": {"max_discount_pct": 10}}
    patched = await client.patch(f"/v1/lenders/{lender['id']}", json=patch, headers=ADMIN)
    assert patched.status_code == 200
    again = (await client.get(f"/v1/lenders/{lender['id']}", headers=ADMIN)).json()
    assert again["name"] == "Acme"
    assert again["settings"]["max_discount_pct"] == 10
    assert again["settings"]["timezone"] == "America/New_York"


async def test_duplicate_lender_code_is_409(client: httpx.AsyncClient, app: FastAPI) -> None:
    await create_lender(client, "acme")
    assert_problem(
        await client.post("/v1/lenders", json={"code": "acme", "name": "Other"}, headers=ADMIN), 409
    )
    assert await scalar(app, "SELECT count(*) FROM lenders") == 1


async def test_lender_code_and_settings_are_validated(client: httpx.AsyncClient) -> None:
    for body, pointer in [
        ({"code": "Acme", "name": "x"}, "#/code"),
        ({"code": "a", "name": "x"}, "#/code"),
        ({"code": "acme", "name": ""}, "#/name"),
        ({"code": "acme", "name": "x" * 201}, "#/name"),
        (
            {"code": "acme", "name": "x", "settings": {"max_discount_pct": 101}},
            "#/settings/max_discount_pct",
        ),
    ]:
        problem = assert_problem(await client.post("/v1/lenders", json=body, headers=ADMIN), 422)
        assert [e["pointer"] for e in problem["errors"]] == [pointer]


async def test_unknown_lender_is_404(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-7000-8000-000000000000"
    assert_problem(await client.get(f"/v1/lenders/{missing}", headers=ADMIN), 404)
    assert_problem(
        await client.patch(f"/v1/lenders/{missing}", json={"name": "x"}, headers=ADMIN), 404
    )


async def test_pagination_walks_every_lender_once_newest_first(client: httpx.AsyncClient) -> None:
    codes = [f"lender-{i}" for i in range(7)]
    for code in codes:
        await create_lender(client, code)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/lenders", params=params, headers=ADMIN)).json()
        seen += [i["code"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(codes))


async def test_malformed_or_foreign_cursor_is_422(client: httpx.AsyncClient) -> None:
    acme = await create_lender(client, "acme")
    for i in range(3):
        await create_lender(client, f"other-{i}")
    page = (await client.get("/v1/lenders", params={"limit": 1}, headers=ADMIN)).json()
    assert page["next_cursor"]
    problem = assert_problem(
        await client.get("/v1/lenders", params={"cursor": "garbage!"}, headers=ADMIN), 422
    )
    assert problem["errors"][0]["pointer"] == "#/cursor"
    tampered = page["next_cursor"][:-2] + ("AA" if not page["next_cursor"].endswith("AA") else "BB")
    assert_problem(await client.get("/v1/lenders", params={"cursor": tampered}, headers=ADMIN), 422)
    viewer = await create_key(client, "viewer", lender_id=acme["id"])
    foreign = await client.get(
        "/v1/lenders", params={"cursor": page["next_cursor"]}, headers=bearer(viewer["key"])
    )
    assert_problem(foreign, 422)


async def test_agents_with_lenders(client: httpx.AsyncClient) -> None:
    acme = await create_lender(client, "acme")
    agent = await create_agent(client, "senior", [acme["id"]])
    assert agent["lender_ids"] == [acme["id"]] and agent["tier"] == "senior"
    got = await client.get(f"/v1/agents/{agent['id']}", headers=ADMIN)
    assert got.status_code == 200 and got.json()["lender_ids"] == [acme["id"]]
    bad = {
        "name": "x",
        "tier": "junior",
        "lender_ids": [acme["id"], "00000000-0000-7000-8000-000000000000"],
    }
    problem = assert_problem(await client.post("/v1/agents", json=bad, headers=ADMIN), 422)
    assert problem["errors"][0]["pointer"] == "#/lender_ids/1"
    assert_problem(
        await client.post("/v1/agents", json={"name": "x", "tier": "boss"}, headers=ADMIN), 422
    )
    listing = (await client.get("/v1/agents", headers=ADMIN)).json()
    assert [a["id"] for a in listing["items"]] == [agent["id"]]


async def test_viewer_bound_to_lender_sees_only_its_agents(client: httpx.AsyncClient) -> None:
    acme = await create_lender(client, "acme")
    globex = await create_lender(client, "globex")
    mine = await create_agent(client, "junior", [acme["id"]])
    theirs = await create_agent(client, "junior", [globex["id"]])
    viewer = await create_key(client, "viewer", lender_id=acme["id"])
    listing = (await client.get("/v1/agents", headers=bearer(viewer["key"]))).json()
    assert [a["id"] for a in listing["items"]] == [mine["id"]]
    assert_problem(
        await client.get(f"/v1/agents/{theirs['id']}", headers=bearer(viewer["key"])), 404
    )
