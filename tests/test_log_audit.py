"""A real server's log, read line by line: JSON, request ids, and never the personal data sent to it."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from tests.conftest import ADMIN
from tests.live_server import live_server
from tests.log_audit import log_problems
from tests.world import (
    CLOCK,
    DEBTOR_EMAIL,
    DEBTOR_NAME,
    DEBTOR_NATIONAL_ID,
    DEBTOR_PHONE,
    build_world,
    debt_body,
)


async def _error_paths(http: httpx.AsyncClient, lender: dict[str, str], debt_id: str) -> list[int]:
    """Requests carrying the seeded personal data that end in 4xx; their statuses."""
    statuses = []
    bad = debt_body("acme", "D-9")
    bad["debtor"]["contact_points"][0]["value"] = DEBTOR_PHONE + "999999"  # invalid phone
    bad["principal_minor"] = -1
    statuses.append((await http.post("/v1/debts", json=bad, headers=lender)).status_code)
    unknown = {**debt_body("acme", "D-8"), "nickname": DEBTOR_NAME}  # unknown field
    statuses.append((await http.post("/v1/debts", json=unknown, headers=lender)).status_code)
    malformed = b'{"name": "' + DEBTOR_NAME.encode() + b'", '
    statuses.append(
        (
            await http.post(
                "/v1/debts",
                content=malformed,
                headers={**lender, "content-type": "application/json"},
            )
        ).status_code
    )
    statuses.append(
        (
            await http.post(
                "/v1/debts",
                content=DEBTOR_EMAIL.encode(),
                headers={**lender, "content-type": "text/plain"},
            )
        ).status_code
    )
    statuses.append(
        (await http.get(f"/v1/debtors/{DEBTOR_NATIONAL_ID}", headers=lender)).status_code
    )
    statuses.append(
        (
            await http.get("/v1/debts/01a224de-951b-7069-94e2-09006afecc84", headers=lender)
        ).status_code
    )
    payment = {"amount_minor": 1_000, "currency": "USD", "paid_at": "2026-04-07T16:00:00Z"}
    again = {**payment, "amount_minor": 2_000, "external_ref": "logs-pay-1"}
    statuses.append(
        (await http.post(f"/v1/debts/{debt_id}/payments", json=again, headers=lender)).status_code
    )
    statuses.append(
        (await http.get("/v1/debts", params={"q": DEBTOR_NAME}, headers=lender)).status_code
    )
    statuses.append(
        (
            await http.post(
                "/v1/lenders", json={"code": "logs", "name": DEBTOR_NAME}, headers=ADMIN
            )
        ).status_code
    )
    statuses.append(
        (
            await http.get("/v1/debts", headers={"Authorization": f"Bearer {DEBTOR_PHONE}"})
        ).status_code
    )
    return statuses


async def test_a_real_servers_log_lines_are_json_with_request_ids_and_no_personal_data(
    database_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    async with live_server(
        database_url, env={"ARREARS_LOG_LEVEL": "INFO"}, log_path=log_path
    ) as base:
        sent: list[str] = []

        async def count(request: httpx.Request) -> None:
            sent.append(request.url.path)

        hooks = {"request": [count]}
        async with httpx.AsyncClient(
            base_url=base, timeout=30, headers=CLOCK, event_hooks=hooks
        ) as http:
            world = await build_world(http, "logs")
            statuses = await _error_paths(http, world.keys["lender"], world.ids["debt_id"])
    assert statuses == [422, 422, 400, 415, 422, 404, 409, 422, 409, 401], statuses
    lines = log_path.read_text().splitlines()
    requests = [orjson.loads(line) for line in lines if '"event":"request"' in line]
    # One access line per request made (plus the readiness probes of the start-up).
    probes = [r for r in requests if r["route"] == "/readyz"]
    assert len(requests) - len(probes) == len(sent) and probes
    assert {r["status"] for r in requests} >= {200, 201, 400, 401, 404, 409, 415, 422}
    assert log_problems(lines) == []


def test_the_audit_catches_what_it_looks_for() -> None:
    good = '{"event":"request","level":"info","request_id":"a1","method":"GET","route":"/livez","status":200,"duration_ms":0.5}'
    assert log_problems([good]) == []
    assert log_problems(["Started server process"])  # not JSON
    assert log_problems([good.replace('"request_id":"a1",', "")])  # a request line without its id
    assert log_problems([good.replace("/livez", DEBTOR_PHONE)])
    assert log_problems([good.replace("/livez", DEBTOR_NAME.upper())])
