"""What `make fuzz` found, pinned down so the fast suite keeps it fixed."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN
from tests.debts_helpers import debt_item
from tests.helpers import assert_problem, create_lender


async def test_405_lists_the_methods_of_the_resource(client: httpx.AsyncClient) -> None:
    cases = {
        ("PUT", "/v1/lenders"): "GET, POST",
        ("OPTIONS", "/v1/debts/batch"): "POST",
        ("DELETE", "/v1/debts/01a224de-951b-7069-94e2-09006afecc84"): "GET, PATCH",
    }
    for (method, path), allow in cases.items():
        response = await client.request(method, path, headers=ADMIN)
        assert_problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == allow, (method, path)


async def test_unknown_query_parameters_are_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/debts", params={"stauts": "paid"}, headers=ADMIN)
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["pointer"] == "#/stauts"
    assert (
        await client.get("/v1/debts", params={"status": "paid"}, headers=ADMIN)
    ).status_code == 200


async def test_numbers_are_not_dates_or_instants(client: httpx.AsyncClient) -> None:
    for path, query in (
        ("/v1/stats/roll-rates", {"to": "0"}),
        ("/v1/stats/portfolio", {}),
        ("/v1/debts", {"updated_since": "0.5"}),
    ):
        response = await client.get(path, params=query, headers=ADMIN)
        assert response.status_code == (200 if not query else 422), (path, response.text)
    lender = await create_lender(client, "acme")
    for due in (0, "0", "20260115"):
        item = {**debt_item("D-1", due_date=due), "lender_id": lender["id"]}
        response = await client.post("/v1/debts", json=item, headers=ADMIN)
        assert_problem(response, 422, "validation-error")
    assert (await client.get("/v1/debts", headers=ADMIN)).json()["items"] == []


async def test_meta_that_json_storage_refuses_is_422_not_500(client: httpx.AsyncClient) -> None:
    lender = await create_lender(client, "acme")
    item = {**debt_item("D-1"), "lender_id": lender["id"]}
    created = await client.post("/v1/debts", json=item, headers=ADMIN)
    assert created.status_code == 201
    url = f"/v1/debts/{created.json()['id']}"
    for raw in (
        b'{"meta": {"k": "\\ud800"}}',
        b'{"meta": {"k": "a\\u0000b"}}',
        b'{"meta": {"k": 18446744073709551616}}',
    ):
        response = await client.patch(
            url, content=raw, headers={**ADMIN, "content-type": "application/json"}
        )
        assert_problem(response, 422, "validation-error")
    assert (await client.get(url, headers=ADMIN)).json()["meta"] is None


def test_every_error_the_shared_guards_give_is_documented(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path, operations in paths.items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path}"
            assert {"400", "401", "403", "422", "429", "503"} <= codes, where
            if method in ("post", "put", "patch", "delete"):
                assert {"413", "415"} <= codes, where
            if method == "post" and not path.startswith("/v1/webhooks/"):
                assert "409" in codes, where  # an Idempotency-Key still in flight
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (where, code)
