"""Every error is problem+json with a request id, never a 5xx for bad input."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from app.main import create_app
from tests.conftest import ADMIN, make_settings, scalar
from tests.helpers import assert_problem

JSON = {**ADMIN, "Content-Type": "application/json"}


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    assert_problem(
        await client.put("/v1/lenders", json={}, headers=ADMIN), 405, "method-not-allowed"
    )


async def test_malformed_json_is_400(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post("/v1/lenders", content=b'{"code": "ab",', headers=JSON)
    assert_problem(response, 400, "malformed-json")
    assert await scalar(app, "SELECT count(*) FROM lenders") == 0


async def test_non_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    headers = {**ADMIN, "Content-Type": "text/plain"}
    response = await client.post("/v1/lenders", content=b"code=ab", headers=headers)
    assert_problem(response, 415, "unsupported-media-type")
    form = await client.post("/v1/lenders", data={"code": "ab"}, headers=ADMIN)
    assert_problem(form, 415)


async def test_unknown_field_is_422_with_pointer(client: httpx.AsyncClient) -> None:
    body = {"code": "acme", "name": "Acme", "colour": "red", "settings": {"timezone": "Mars/Base"}}
    problem = assert_problem(await client.post("/v1/lenders", json=body, headers=ADMIN), 422)
    pointers = {e["pointer"] for e in problem["errors"]}
    assert pointers == {"#/colour", "#/settings/timezone"}


async def test_validation_errors_never_echo_submitted_values(client: httpx.AsyncClient) -> None:
    secret = "Jane Q. Debtor 555-0100"
    body = {"code": "x", "name": secret + "\x07", "extra_name": secret}
    response = await client.post("/v1/lenders", json=body, headers=ADMIN)
    assert_problem(response, 422)
    assert secret not in response.text
    assert "Jane" not in response.text


async def test_two_megabyte_body_is_413(client: httpx.AsyncClient, app: FastAPI) -> None:
    big = b'{"code": "acme", "name": "' + b"a" * (2 << 20) + b'"}'
    response = await client.post("/v1/lenders", content=big, headers=JSON)
    assert_problem(response, 413, "payload-too-large")
    assert await scalar(app, "SELECT count(*) FROM lenders") == 0


async def test_413_also_without_content_length(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(3):
            yield b"a" * (1 << 20)

    response = await client.post("/v1/lenders", content=chunks(), headers=JSON)
    assert_problem(response, 413)


async def test_bad_query_parameter_is_422_with_its_name(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.get("/v1/lenders?limit=0", headers=ADMIN), 422)
    assert problem["errors"][0]["pointer"] == "#/limit"
    assert problem["errors"][0]["in"] == "query"


async def test_bad_path_id_is_422(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/lenders/not-a-uuid", headers=ADMIN), 422)


async def test_request_id_is_echoed_when_valid_and_replaced_when_not(
    client: httpx.AsyncClient,
) -> None:
    echoed = await client.get("/livez", headers={"X-Request-ID": "abc-123.x"})
    assert echoed.headers["x-request-id"] == "abc-123.x"
    replaced = await client.get("/livez", headers={"X-Request-ID": "bad id with spaces"})
    assert replaced.headers["x-request-id"] != "bad id with spaces"
    assert len(replaced.headers["x-request-id"]) == 32


async def test_unhandled_error_is_500_problem_without_stack_trace(database_url: str) -> None:
    app = create_app(make_settings(database_url), run_background=False)

    async def explode() -> None:
        raise RuntimeError("secret detail: Jane Q. Debtor")

    app.add_api_route("/boom", explode)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/boom", headers={"X-Request-ID": "req-500"})
    assert_problem(response, 500, "internal-error")
    assert response.headers["x-request-id"] == "req-500"
    assert "Traceback" not in response.text and "Jane" not in response.text


async def test_other_methods_on_the_batch_route_are_405(client: httpx.AsyncClient) -> None:
    response = await client.patch("/v1/debts/batch", json={}, headers=ADMIN)
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"
    assert_problem(await client.get("/v1/debts/batch", headers=ADMIN), 405)
