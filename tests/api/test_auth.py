"""Keys, roles and tenant scoping of the foundation endpoints."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN, ADMIN_KEY, scalar
from tests.helpers import assert_problem, bearer, create_agent, create_key, create_lender


async def test_no_key_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/lenders")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(
        await client.get("/v1/lenders", headers=bearer("ark_wrongwrongwr_" + "x" * 32)), 401
    )
    assert_problem(await client.get("/v1/lenders", headers={"Authorization": "Basic abc"}), 401)


async def test_bootstrap_admin_creates_lender_and_lender_key_that_works(
    client: httpx.AsyncClient,
) -> None:
    lender = await create_lender(client, "acme")
    other = await create_lender(client, "globex")
    key = await create_key(client, "lender", lender_id=lender["id"])
    assert key["key"].startswith("ark_") and key["role"] == "lender"
    own = await client.get(f"/v1/lenders/{lender['id']}", headers=bearer(key["key"]))
    assert own.status_code == 200 and own.json()["code"] == "acme"
    # Another tenant's object is 404, never 403.
    assert_problem(await client.get(f"/v1/lenders/{other['id']}", headers=bearer(key["key"])), 404)
    # A lender may not list lenders nor create them.
    assert_problem(await client.get("/v1/lenders", headers=bearer(key["key"])), 403, "forbidden")
    created = await client.post(
        "/v1/lenders", json={"code": "evil", "name": "x"}, headers=bearer(key["key"])
    )
    assert_problem(created, 403, "forbidden")
    listing = await client.get("/v1/lenders", headers=ADMIN)
    assert {i["code"] for i in listing.json()["items"]} == {"acme", "globex"}


async def test_keys_are_stored_hashed(client: httpx.AsyncClient, app: FastAPI) -> None:
    lender = await create_lender(client, "acme")
    key = await create_key(client, "lender", lender_id=lender["id"])
    stored = await scalar(
        app, "SELECT secret_hash FROM api_keys WHERE prefix = :p", p=key["prefix"]
    )
    assert isinstance(stored, str) and key["key"] not in stored and len(stored) == 64
    secret_part = key["key"].rsplit("_", 1)[1]
    assert secret_part not in str(
        await scalar(app, "SELECT prefix FROM api_keys WHERE prefix = :p", p=key["prefix"])
    )
    listed = await client.get("/v1/api-keys", headers=ADMIN)
    assert key["key"] not in listed.text and "secret_hash" not in listed.text
    assert ADMIN_KEY not in listed.text


async def test_revoked_key_is_401(client: httpx.AsyncClient) -> None:
    lender = await create_lender(client, "acme")
    key = await create_key(client, "lender", lender_id=lender["id"])
    assert (
        await client.get(f"/v1/lenders/{lender['id']}", headers=bearer(key["key"]))
    ).status_code == 200
    assert (await client.delete(f"/v1/api-keys/{key['id']}", headers=ADMIN)).status_code == 204
    assert_problem(await client.get(f"/v1/lenders/{lender['id']}", headers=bearer(key["key"])), 401)
    assert_problem(await client.delete(f"/v1/api-keys/{key['id']}", headers=ADMIN), 404)


async def test_key_bindings_are_validated(client: httpx.AsyncClient, app: FastAPI) -> None:
    lender = await create_lender(client, "acme")
    cases = [
        ({"role": "lender", "name": "k"}, "#/lender_id"),
        ({"role": "agent", "name": "k"}, "#/agent_id"),
        ({"role": "admin", "name": "k", "lender_id": lender["id"]}, "#/lender_id"),
        (
            {"role": "lender", "name": "k", "lender_id": "00000000-0000-0000-0000-000000000001"},
            "#/lender_id",
        ),
        ({"role": "superuser", "name": "k"}, "#/role"),
    ]
    before = await scalar(app, "SELECT count(*) FROM api_keys")
    for body, pointer in cases:
        problem = assert_problem(await client.post("/v1/api-keys", json=body, headers=ADMIN), 422)
        assert problem["errors"][0]["pointer"] == pointer, (body, problem)
    assert await scalar(app, "SELECT count(*) FROM api_keys") == before


async def test_viewer_bound_to_a_lender_sees_only_it(client: httpx.AsyncClient) -> None:
    acme = await create_lender(client, "acme")
    await create_lender(client, "globex")
    viewer = await create_key(client, "viewer", lender_id=acme["id"])
    listing = await client.get("/v1/lenders", headers=bearer(viewer["key"]))
    assert [i["code"] for i in listing.json()["items"]] == ["acme"]
    unbound = await create_key(client, "viewer")
    assert (
        len((await client.get("/v1/lenders", headers=bearer(unbound["key"]))).json()["items"]) == 2
    )
    assert_problem(
        await client.post(
            "/v1/lenders", json={"code": "v", "name": "v"}, headers=bearer(viewer["key"])
        ),
        403,
    )


async def test_agent_sees_agents_of_its_lenders_only_through_admin_views(
    client: httpx.AsyncClient,
) -> None:
    acme = await create_lender(client, "acme")
    agent = await create_agent(client, "supervisor", [acme["id"]])
    key = await create_key(client, "agent", agent_id=agent["id"])
    # Agents may not manage lenders, agents or keys.
    assert_problem(await client.get("/v1/lenders", headers=bearer(key["key"])), 403)
    assert_problem(await client.get("/v1/agents", headers=bearer(key["key"])), 403)
    assert_problem(
        await client.post(
            "/v1/api-keys", json={"role": "admin", "name": "x"}, headers=bearer(key["key"])
        ),
        403,
    )
