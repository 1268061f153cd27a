"""Debts: upsert, batch, read, filters, PATCH and the status machine, timeline, tenancy."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN, scalar
from tests.debts_helpers import debt_item
from tests.helpers import assert_problem, bearer, create_agent, create_key, create_lender

NOW = {"X-Arrears-Now": "2026-03-01T12:00:00Z"}


@pytest.fixture
async def acme(client: httpx.AsyncClient) -> dict[str, str]:
    lender = await create_lender(client, "acme", settings={"timezone": "America/New_York"})
    key = await create_key(client, "lender", lender_id=lender["id"])
    return {"id": lender["id"], "key": key["key"]}


def as_lender(acme: dict[str, str]) -> dict[str, str]:
    return {**bearer(acme["key"]), **NOW}


async def test_upsert_creates_then_updates_then_reports_unchanged(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    item = debt_item("D-1")
    created = await client.post("/v1/debts", json=item, headers=as_lender(acme))
    assert created.status_code == 201, created.text
    debt = created.json()
    assert created.headers["location"] == f"/v1/debts/{debt['id']}"
    assert debt["lender_id"] == acme["id"] and debt["status"] == "active"
    assert (
        debt["debtor"]["external_ref"] == "debtor-D-1" and debt["debtor_id"] == debt["debtor"]["id"]
    )
    # 2026-01-15 → 2026-03-01 in New York: 45 days past due.
    assert debt["dpd"] == 45 and debt["bucket"] == "31-60"
    assert debt["fees_minor"] == 0 and debt["credit_minor"] == 0 and debt["meta"] is None
    assert debt["escalation_level"] == "collector" and debt["broken_plans"] == 0

    again = await client.post("/v1/debts", json=item, headers=as_lender(acme))
    assert again.status_code == 200 and again.json()["id"] == debt["id"]

    changed = await client.post(
        "/v1/debts", json={**item, "balance_minor": 90_000}, headers=as_lender(acme)
    )
    assert changed.status_code == 200
    reread = (await client.get(f"/v1/debts/{debt['id']}", headers=as_lender(acme))).json()
    assert reread["balance_minor"] == 90_000
    assert await scalar(app, "SELECT count(*) FROM debts") == 1
    assert await scalar(app, "SELECT count(*) FROM debtors") == 1
    events = (await client.get(f"/v1/debts/{debt['id']}/events", headers=as_lender(acme))).json()[
        "items"
    ]
    assert [e["type"] for e in events] == ["debt.created", "debt.updated"]
    assert events[1]["data"] == {"balance_minor": {"before": 120_000, "after": 90_000}}
    assert events[0]["actor"].startswith("lender:")


async def test_debtor_is_normalised_and_national_id_never_returned(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    created = await client.post("/v1/debts", json=debt_item("D-1"), headers=as_lender(acme))
    debtor_id = created.json()["debtor_id"]
    debtor = await client.get(f"/v1/debtors/{debtor_id}", headers=as_lender(acme))
    assert debtor.status_code == 200
    body = debtor.json()
    values = {(p["channel"], p["value"], p["type"]) for p in body["contact_points"]}
    assert values == {
        ("phone", "+15185550142", "cell"),
        ("email", "jane.roe@example.com", "personal"),
    }
    assert body["national_id_last4"] == "6789"
    assert "123-45" not in debtor.text and 'national_id"' not in debtor.text
    stored = await scalar(app, "SELECT national_id_encrypted FROM debtors")
    assert isinstance(stored, str) and "123-45-6789" not in stored
    assert app.state.cipher.decrypt(stored) == "123-45-6789"


async def test_embedded_debtor_is_merged_and_contact_points_deduplicated(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    await client.post("/v1/debts", json=debt_item("D-1", debtor_ref="P-1"), headers=as_lender(acme))
    second = debt_item("D-2", debtor_ref="P-1")
    second["debtor"]["name"] = "Jane Doe"
    second["debtor"]["contact_points"] = [
        {"channel": "phone", "value": "+1 518 555 0142", "type": "home"},
        {"channel": "phone", "value": "518-555-0199", "type": "work"},
    ]
    del second["debtor"]["national_id"]
    response = await client.post("/v1/debts", json=second, headers=as_lender(acme))
    assert response.status_code == 201
    debtor = (
        await client.get(f"/v1/debtors/{response.json()['debtor_id']}", headers=as_lender(acme))
    ).json()
    assert debtor["name"] == "Jane Doe" and debtor["national_id_last4"] == "6789"
    phones = {p["value"]: p["type"] for p in debtor["contact_points"] if p["channel"] == "phone"}
    assert phones == {"+15185550142": "home", "+15185550199": "work"}
    assert await scalar(app, "SELECT count(*) FROM debtors") == 1
    assert await scalar(app, "SELECT count(*) FROM contact_points") == 3


@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        ({"currency": "XYZ"}, "#/currency"),
        ({"currency": "usd"}, "#/currency"),
        ({"balance_minor": -1}, "#/balance_minor"),
        ({"balance_minor": 1.5}, "#/balance_minor"),
        ({"product": "car"}, "#/product"),
        ({"meta": {"blob": "x" * 9000}}, "#/meta"),
        ({"external_ref": "bad\u0000ref"}, "#/external_ref"),
        ({"external_ref": "r" * 201}, "#/external_ref"),
        ({"surprise": 1}, "#/surprise"),
        ({"due_date": "2026-02-30"}, "#/due_date"),
        ({"compliance_profiles": ["NOPE"]}, "#/compliance_profiles/0"),
    ],
)
async def test_invalid_debt_fields_are_422_with_pointer(
    client: httpx.AsyncClient,
    app: FastAPI,
    acme: dict[str, str],
    patch: dict[str, object],
    pointer: str,
) -> None:
    response = await client.post(
        "/v1/debts", json={**debt_item("D-1"), **patch}, headers=as_lender(acme)
    )
    problem = assert_problem(response, 422)
    assert pointer in [e["pointer"] for e in problem["errors"]]
    assert await scalar(app, "SELECT count(*) FROM debts") == 0


async def test_invalid_phone_and_email_are_422(
    client: httpx.AsyncClient, acme: dict[str, str]
) -> None:
    item = debt_item("D-1")
    item["debtor"]["contact_points"] = [
        {"channel": "email", "value": "a@b.co"},
        {"channel": "phone", "value": "555-12"},
    ]
    problem = assert_problem(
        await client.post("/v1/debts", json=item, headers=as_lender(acme)), 422
    )
    assert problem["errors"][0]["pointer"] == "#/debtor/contact_points/1/value"
    item["debtor"]["contact_points"] = [{"channel": "email", "value": "not-an-email"}]
    problem = assert_problem(
        await client.post("/v1/debts", json=item, headers=as_lender(acme)), 422
    )
    assert problem["errors"][0]["pointer"] == "#/debtor/contact_points/0/value"
    assert "not-an-email" not in str(problem)


async def test_admin_must_name_the_lender(client: httpx.AsyncClient, acme: dict[str, str]) -> None:
    problem = assert_problem(
        await client.post("/v1/debts", json=debt_item("D-1"), headers=ADMIN), 422
    )
    assert problem["errors"][0]["pointer"] == "#/lender_id"
    ok = await client.post(
        "/v1/debts", json={**debt_item("D-1"), "lender_id": acme["id"]}, headers=ADMIN
    )
    assert ok.status_code == 201 and ok.json()["lender_id"] == acme["id"]


async def test_tenant_isolation_on_every_debt_route(
    client: httpx.AsyncClient, acme: dict[str, str]
) -> None:
    globex = await create_lender(client, "globex")
    globex_key = (await create_key(client, "lender", lender_id=globex["id"]))["key"]
    theirs = (
        await client.post("/v1/debts", json=debt_item("G-1"), headers=bearer(globex_key))
    ).json()
    mine = (await client.post("/v1/debts", json=debt_item("A-1"), headers=as_lender(acme))).json()
    h = as_lender(acme)
    debt_routes = [
        ("GET", f"/v1/debts/{theirs['id']}", None),
        ("PATCH", f"/v1/debts/{theirs['id']}", {"meta": {"x": 1}}),
        ("GET", f"/v1/debts/{theirs['id']}/events", None),
        ("GET", f"/v1/debts/{theirs['id']}/payments", None),
        (
            "POST",
            f"/v1/debts/{theirs['id']}/payments",
            {
                "amount_minor": 1,
                "currency": "USD",
                "paid_at": "2026-03-01T00:00:00Z",
                "external_ref": "p",
            },
        ),
        ("GET", f"/v1/debtors/{theirs['debtor_id']}", None),
        ("PATCH", f"/v1/debtors/{theirs['debtor_id']}", {"name": "X"}),
        (
            "POST",
            f"/v1/debtors/{theirs['debtor_id']}/contact-points",
            {"channel": "email", "value": "x@y.com"},
        ),
    ]
    for method, url, body in debt_routes:
        response = await client.request(method, url, json=body, headers=h)
        assert_problem(response, 404)
    listing = (await client.get("/v1/debts", headers=h)).json()
    assert [d["id"] for d in listing["items"]] == [mine["id"]]
    # Their debt is untouched.
    after = (await client.get(f"/v1/debts/{theirs['id']}", headers=bearer(globex_key))).json()
    assert after["meta"] is None and after["balance_minor"] == theirs["balance_minor"]
    # A lender key cannot write into another lender.
    cross = await client.post(
        "/v1/debts", json={**debt_item("X"), "lender_id": globex["id"]}, headers=h
    )
    assert_problem(cross, 422)


async def test_list_filters_work_in_sql(client: httpx.AsyncClient, acme: dict[str, str]) -> None:
    h = as_lender(acme)
    due = {
        "D-cur": "2026-03-05",
        "D-10": "2026-02-19",
        "D-45": "2026-01-15",
        "D-100": "2025-11-21",
        "D-200": "2025-08-13",
    }
    ids = {}
    for ref, due_date in due.items():
        product = "microloan" if ref == "D-10" else "credit_card"
        r = await client.post(
            "/v1/debts", json=debt_item(ref, due_date=due_date, product=product), headers=h
        )
        ids[ref] = r.json()["id"]

    async def refs(**params: object) -> set[str]:
        page = await client.get(
            "/v1/debts", params={k: str(v) for k, v in params.items()}, headers=h
        )
        assert page.status_code == 200, page.text
        return {d["external_ref"] for d in page.json()["items"]}

    assert await refs(bucket="current") == {"D-cur"}
    assert await refs(bucket="1-30") == {"D-10"}
    assert await refs(bucket="91-180") == {"D-100"}
    assert await refs(bucket="181+") == {"D-200"}
    assert await refs(min_dpd=45) == {"D-45", "D-100", "D-200"}
    assert await refs(min_dpd=10, max_dpd=45) == {"D-10", "D-45"}
    assert await refs(product="microloan") == {"D-10"}
    assert await refs(status="active") == set(due)
    assert await refs(updated_since="2100-01-01T00:00:00Z") == set()
    dpds = {
        d["external_ref"]: d["dpd"]
        for d in (await client.get("/v1/debts", headers=h)).json()["items"]
    }
    assert dpds == {"D-cur": -4, "D-10": 10, "D-45": 45, "D-100": 100, "D-200": 200}
    assert_problem(await client.get("/v1/debts?bucket=7-8", headers=h), 422)


async def test_dpd_counts_in_the_lender_time_zone(client: httpx.AsyncClient) -> None:
    tokyo = await create_lender(client, "tokyo", settings={"timezone": "Asia/Tokyo"})
    key = (await create_key(client, "lender", lender_id=tokyo["id"]))["key"]
    # 2026-03-01T16:00Z is already 2 March in Tokyo.
    headers = {**bearer(key), "X-Arrears-Now": "2026-03-01T16:00:00Z"}
    debt = (
        await client.post(
            "/v1/debts", json=debt_item("T-1", due_date="2026-03-01"), headers=headers
        )
    ).json()
    assert debt["dpd"] == 1 and debt["bucket"] == "1-30"
    listed = await client.get("/v1/debts", params={"bucket": "1-30"}, headers=headers)
    assert [d["id"] for d in listed.json()["items"]] == [debt["id"]]


async def test_patch_status_machine_and_roles(
    client: httpx.AsyncClient, acme: dict[str, str]
) -> None:
    h = as_lender(acme)
    debt = (await client.post("/v1/debts", json=debt_item("D-1"), headers=h)).json()
    url = f"/v1/debts/{debt['id']}"
    # A lender may recall, not close.
    assert_problem(await client.patch(url, json={"status": "closed"}, headers=h), 403)
    junior = await create_agent(client, "junior", [acme["id"]])
    junior_key = (await create_key(client, "agent", agent_id=junior["id"]))["key"]
    assert_problem(
        await client.patch(url, json={"meta": {"a": 1}}, headers=bearer(junior_key)), 403
    )
    recalled = await client.patch(url, json={"status": "recalled"}, headers=h)
    assert recalled.status_code == 200 and recalled.json()["status"] == "recalled"
    # recalled → written_off is not a transition of the machine.
    assert_problem(await client.patch(url, json={"status": "written_off"}, headers=ADMIN), 409)
    closed = await client.patch(url, json={"status": "closed"}, headers=ADMIN)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert_problem(await client.patch(url, json={"status": "recalled"}, headers=h), 409)
    events = (await client.get(f"{url}/events", headers=h)).json()["items"]
    changes = [
        (e["data"]["before"], e["data"]["after"])
        for e in events
        if e["type"] == "debt.status_changed"
    ]
    assert changes == [("active", "recalled"), ("recalled", "closed")]
    assert (await client.get(url, headers=h)).json()["status"] == "closed"


async def test_supervisor_assigns_and_writes_off(
    client: httpx.AsyncClient, acme: dict[str, str]
) -> None:
    debt = (await client.post("/v1/debts", json=debt_item("D-1"), headers=as_lender(acme))).json()
    supervisor = await create_agent(client, "supervisor", [acme["id"]])
    outsider = await create_agent(client, "junior", [])
    key = (await create_key(client, "agent", agent_id=supervisor["id"]))["key"]
    url = f"/v1/debts/{debt['id']}"
    bad = await client.patch(url, json={"assigned_agent_id": outsider["id"]}, headers=bearer(key))
    assert assert_problem(bad, 422)["errors"][0]["pointer"] == "#/assigned_agent_id"
    ok = await client.patch(
        url,
        json={"assigned_agent_id": supervisor["id"], "status": "written_off"},
        headers=bearer(key),
    )
    assert ok.status_code == 200
    assert (
        ok.json()["assigned_agent_id"] == supervisor["id"] and ok.json()["status"] == "written_off"
    )
    assert_problem(await client.patch(url, json={"status": "recalled"}, headers=bearer(key)), 403)
    listed = await client.get(
        "/v1/debts", params={"assigned_agent_id": supervisor["id"]}, headers=bearer(key)
    )
    assert [d["id"] for d in listed.json()["items"]] == [debt["id"]]


async def test_concurrent_identical_posts_create_the_debt_once(
    client: httpx.AsyncClient, app: FastAPI, acme: dict[str, str]
) -> None:
    item = debt_item("D-race")
    responses = await asyncio.gather(
        *(client.post("/v1/debts", json=item, headers=as_lender(acme)) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and set(statuses) == {200, 201}, statuses
    assert len({r.json()["id"] for r in responses}) == 1
    assert await scalar(app, "SELECT count(*) FROM debts") == 1
    assert await scalar(app, "SELECT count(*) FROM debt_events") == 1
