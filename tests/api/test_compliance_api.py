"""The rules service through HTTP: state built with holds, consents, imported history and lender
rules, then evaluated at fixed UTC instants."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.compliance_helpers import codes, evaluate, import_calls, setup_debt
from tests.conftest import ADMIN, scalar
from tests.helpers import assert_problem


@pytest.fixture
async def ny(client: httpx.AsyncClient) -> dict[str, object]:
    return await setup_debt(client)


async def test_window_edges_in_new_york_across_dst(client: httpx.AsyncClient, ny: dict) -> None:
    h, debt = ny["agent_h"], ny["debt_id"]
    # 2026-03-09 (EDT, UTC-4): 08:00 local = 12:00Z; 20:59 = 00:59Z next day; 21:00 = 01:00Z.
    assert (await evaluate(client, h, debt, "2026-03-09T11:59:00Z"))["decision"] == "block"
    assert (await evaluate(client, h, debt, "2026-03-09T12:00:00Z"))["decision"] == "allow"
    assert (await evaluate(client, h, debt, "2026-03-10T00:59:00Z"))["decision"] == "allow"
    late = await evaluate(client, h, debt, "2026-03-10T01:00:00Z")
    assert late["decision"] == "block" and "OUTSIDE_TIME_WINDOW" in codes(late)
    assert late["next_allowed_at"] == "2026-03-10T12:00:00Z"
    # 2026-03-06 (EST, UTC-5): 08:00 local = 13:00Z.
    assert (await evaluate(client, h, debt, "2026-03-06T12:30:00Z"))["decision"] == "block"
    early = await evaluate(client, h, debt, "2026-03-06T12:59:00Z")
    assert early["next_allowed_at"] == "2026-03-06T13:00:00Z"
    # After the November change (EST again): 08:00 = 13:00Z on 2 November.
    assert (await evaluate(client, h, debt, "2026-11-02T12:30:00Z"))["decision"] == "block"
    assert (await evaluate(client, h, debt, "2026-11-02T13:00:00Z"))["decision"] == "allow"
    zones = late["candidate_zones"]
    assert zones[0]["tz"] == "America/New_York" and zones[0]["local_time"].endswith("-04:00")
    assert "US_FEDERAL_REGF@" in " ".join(late["profiles"])


async def test_regf_seventh_and_eighth_call_from_imported_history(
    client: httpx.AsyncClient, ny: dict
) -> None:
    h, debt = ny["agent_h"], ny["debt_id"]
    six = [f"2026-04-0{d}T15:00:00Z" for d in range(1, 7)]
    await import_calls(client, ny["lender_h"], debt, six)
    seventh = await evaluate(client, h, debt, "2026-04-07T15:00:00Z")
    assert seventh["decision"] == "allow"
    await import_calls(client, ny["lender_h"], debt, ["2026-04-07T15:00:00Z"])
    eighth = await evaluate(client, h, debt, "2026-04-07T16:00:00Z")
    assert eighth["decision"] == "block" and codes(eighth) == {"REGF_7_CALLS_IN_7_DAYS"}
    # The 1 April call leaves the 7-day window at local midnight starting 8 April.
    assert eighth["next_allowed_at"] == "2026-04-08T12:00:00Z"
    # Evaluating in the past sees only the history recorded up to then.
    past = await evaluate(client, h, debt, "2026-04-06T16:00:00Z")
    assert past["decision"] == "allow"
    # busy calls release their slot
    await import_calls(client, ny["lender_h"], debt, ["2026-04-08T13:00:00Z"], outcome="busy")
    assert (await evaluate(client, h, debt, "2026-04-08T14:00:00Z"))["decision"] == "allow"


async def test_conversation_cooldown_day_seven_versus_day_eight(
    client: httpx.AsyncClient, ny: dict
) -> None:
    h, debt = ny["agent_h"], ny["debt_id"]
    await import_calls(
        client, ny["lender_h"], debt, ["2026-05-04T15:00:00Z"], outcome="conversation"
    )
    day7 = await evaluate(client, h, debt, "2026-05-10T15:00:00Z")
    assert "REGF_CONVERSATION_COOLDOWN" in codes(day7)
    assert day7["next_allowed_at"] == "2026-05-11T12:00:00Z"
    day8 = await evaluate(client, h, debt, "2026-05-11T12:00:00Z")
    assert day8["decision"] == "allow"
    # An email is not a call: no cool-down.
    email = await evaluate(client, h, debt, "2026-05-05T15:00:00Z", channel="email")
    assert email["decision"] == "allow"


async def test_direct_prior_consent_exempts_calls(client: httpx.AsyncClient, ny: dict) -> None:
    h, debt = ny["agent_h"], ny["debt_id"]
    await import_calls(
        client, ny["lender_h"], debt, [f"2026-06-0{d}T15:00:00Z" for d in range(1, 8)]
    )
    assert (await evaluate(client, h, debt, "2026-06-07T18:00:00Z"))["decision"] == "block"
    consent = await client.post(
        f"/v1/debtors/{ny['debtor_id']}/consents",
        json={
            "type": "direct_prior_consent",
            "channel": "phone",
            "given_at": "2026-06-07T17:00:00Z",
        },
        headers={**h, "X-Arrears-Now": "2026-06-07T17:00:00Z"},
    )
    assert consent.status_code == 201, consent.text
    allowed = await evaluate(client, h, debt, "2026-06-07T18:00:00Z")
    assert allowed["decision"] == "allow"
    assert "REGF_CONSENT_EXCLUSION_APPLIED" in {w["code"] for w in allowed["warnings"]}


async def test_holds_block_and_allow_their_permitted_purposes(
    client: httpx.AsyncClient, ny: dict
) -> None:
    h, debt, debtor = ny["agent_h"], ny["debt_id"], ny["debtor_id"]
    at = "2026-07-07T15:00:00Z"
    now = {**h, "X-Arrears-Now": "2026-07-01T00:00:00Z"}
    cease = await client.post(
        f"/v1/debtors/{debtor}/holds", json={"type": "cease_communication"}, headers=now
    )
    assert cease.status_code == 201
    assert codes(await evaluate(client, h, debt, at)) == {"CEASE_COMMUNICATION"}
    assert (
        await evaluate(client, h, debt, at, channel="letter", purpose="cease_termination_notice")
    )["decision"] == "allow"
    blocked = await evaluate(client, h, debt, at)
    assert blocked["next_allowed_at"] is None
    later = {**h, "X-Arrears-Now": "2026-07-05T00:00:00Z"}
    released = await client.post(
        f"/v1/debtors/{debtor}/holds/{cease.json()['id']}/release", headers=later
    )
    assert released.status_code == 200 and released.json()["released_at"] == "2026-07-05T00:00:00Z"
    assert_problem(
        await client.post(
            f"/v1/debtors/{debtor}/holds/{cease.json()['id']}/release", headers=later
        ),
        409,
    )
    assert (await evaluate(client, h, debt, at))["decision"] == "allow"
    # A hold is judged as of `at`: between its start and its release it blocked.
    assert "CEASE_COMMUNICATION" in codes(await evaluate(client, h, debt, "2026-07-03T15:00:00Z"))
    assert "CEASE_COMMUNICATION" not in codes(
        await evaluate(client, h, debt, "2026-06-30T15:00:00Z")
    )

    dispute = await client.post(
        f"/v1/debtors/{debtor}/holds", json={"type": "dispute", "debt_id": debt}, headers=now
    )
    assert dispute.status_code == 201
    assert (await client.get(f"/v1/debts/{debt}", headers=h)).json()["status"] == "disputed"
    assert "DISPUTE_VERIFICATION_PENDING" in codes(await evaluate(client, h, debt, at))
    assert (await evaluate(client, h, debt, at, purpose="verification"))["decision"] == "allow"
    await client.post(f"/v1/debtors/{debtor}/holds/{dispute.json()['id']}/release", headers=now)
    assert (await client.get(f"/v1/debts/{debt}", headers=h)).json()["status"] == "active"

    for body, code in [
        ({"type": "bankruptcy"}, "BANKRUPTCY_STAY"),
        ({"type": "attorney_representation"}, "ATTORNEY_REPRESENTED"),
        ({"type": "deceased"}, "DECEASED"),
        ({"type": "channel_opt_out", "channel": "phone"}, "CHANNEL_OPTED_OUT"),
    ]:
        hold = await client.post(f"/v1/debtors/{debtor}/holds", json=body, headers=now)
        assert hold.status_code == 201, hold.text
        assert code in codes(await evaluate(client, h, debt, at)), body
        await client.post(f"/v1/debtors/{debtor}/holds/{hold.json()['id']}/release", headers=now)
    listed = (await client.get(f"/v1/debtors/{debtor}/holds", headers=h)).json()["items"]
    assert len(listed) == 6 and all(i["released_at"] for i in listed)


async def test_breathing_space_with_and_without_end(client: httpx.AsyncClient) -> None:
    gb = await setup_debt(
        client,
        address={"country": "GB", "city": "Leeds", "postal_code": "LS1 4AP"},
        phone="+447911123456",
        currency="GBP",
        lender_settings={"timezone": "Europe/London"},
    )
    h, debtor, debt = gb["agent_h"], gb["debtor_id"], gb["debt_id"]
    now = {**h, "X-Arrears-Now": "2026-08-01T00:00:00Z"}
    missing_end = await client.post(
        f"/v1/debtors/{debtor}/holds", json={"type": "breathing_space"}, headers=now
    )
    assert_problem(missing_end, 422)
    hold = await client.post(
        f"/v1/debtors/{debtor}/holds",
        json={"type": "breathing_space", "ends_at": "2026-10-01T00:00:00Z"},
        headers=now,
    )
    assert hold.status_code == 201
    during = await evaluate(client, h, debt, "2026-09-01T10:00:00Z")
    assert "BREATHING_SPACE_MORATORIUM" in codes(during)
    assert during["next_allowed_at"] == "2026-10-01T00:00:00Z"
    assert "WARN_NO_LENDER_HOURS" in {w["code"] for w in during["warnings"]}
    ok = await evaluate(
        client, h, debt, "2026-09-01T10:00:00Z", purpose="response_to_debtor_request"
    )
    assert ok["decision"] == "allow"
    crisis = await client.post(
        f"/v1/debtors/{debtor}/holds", json={"type": "mental_health_crisis"}, headers=now
    )
    assert crisis.status_code == 201
    open_ended = await evaluate(client, h, debt, "2026-11-01T10:00:00Z")
    assert (
        "MENTAL_HEALTH_CRISIS_MORATORIUM" in codes(open_ended)
        and open_ended["next_allowed_at"] is None
    )


async def test_lender_policy_rules_and_rolling_168h_cap(
    client: httpx.AsyncClient, ny: dict
) -> None:
    lender = ny["lender"]["id"]
    rules = [
        {
            "name": "2_CALLS_IN_168H",
            "type": "frequency_cap",
            "channels": ["phone"],
            "max": 2,
            "window": {"unit": "rolling_hours", "length": 168},
        },
        {
            "name": "QUIET_EVENINGS",
            "type": "time_window",
            "channels": ["phone", "sms"],
            "weekly": {
                "mon": ["09:00", "20:00"],
                "tue": ["09:00", "20:00"],
                "wed": ["09:00", "20:00"],
                "thu": ["09:00", "20:00"],
                "fri": ["09:00", "20:00"],
                "sat": ["10:00", "18:00"],
                "sun": None,
            },
        },
    ]
    put = await client.put(
        f"/v1/lenders/{lender}/compliance",
        json={"profiles": ["US_FEDERAL_REGF"], "rules": rules},
        headers=ADMIN,
    )
    assert put.status_code == 200, put.text
    got = await client.get(f"/v1/lenders/{lender}/compliance", headers=ny["lender_h"])
    assert got.json()["rules"][0]["name"] == "2_CALLS_IN_168H"
    h, debt = ny["agent_h"], ny["debt_id"]
    # Sunday 2026-09-06 is closed by the lender's rule.
    sunday = await evaluate(client, h, debt, "2026-09-06T15:00:00Z")
    assert "POLICY_QUIET_EVENINGS" in codes(sunday)
    await import_calls(
        client, ny["lender_h"], debt, ["2026-09-07T14:00:00Z", "2026-09-08T14:00:00Z"]
    )
    capped = await evaluate(client, h, debt, "2026-09-09T14:00:00Z")
    assert codes(capped) == {"POLICY_2_CALLS_IN_168H"}
    # Rolling: the first call leaves the window exactly 168 h after it.
    assert capped["next_allowed_at"] == "2026-09-14T14:00:00Z"
    assert (await evaluate(client, h, debt, "2026-09-14T14:00:00Z"))["decision"] == "allow"


async def test_malformed_lender_rules_and_profiles_are_422(
    client: httpx.AsyncClient, ny: dict
) -> None:
    url = f"/v1/lenders/{ny['lender']['id']}/compliance"
    bad_rule = {
        "profiles": [],
        "rules": [
            {
                "name": "X",
                "type": "frequency_cap",
                "max": 0,
                "window": {"unit": "rolling_hours", "length": 1},
            }
        ],
    }
    problem = assert_problem(await client.put(url, json=bad_rule, headers=ADMIN), 422)
    assert problem["errors"][0]["pointer"].startswith("#/rules/0")
    unknown_field = {"profiles": [], "rules": [{"name": "X", "type": "cooldown", "colour": "red"}]}
    assert_problem(await client.put(url, json=unknown_field, headers=ADMIN), 422)
    assert_problem(
        await client.put(url, json={"profiles": ["NOPE"], "rules": []}, headers=ADMIN), 422
    )
    assert_problem(
        await client.put(url, json={"profiles": [], "rules": []}, headers=ny["lender_h"]), 403
    )
    stored = (await client.get(url, headers=ADMIN)).json()
    assert stored["rules"] == [] and stored["profiles"] == []


async def test_profiles_are_public_data(client: httpx.AsyncClient, ny: dict) -> None:
    profiles = await client.get("/v1/compliance/profiles", headers=ny["lender_h"])
    assert profiles.status_code == 200
    listed = {p["code"] for p in profiles.json()}
    assert {"US_FEDERAL_REGF", "US_MA_940CMR7", "AU_ACCC_ASIC", "CN_CBA_2026", "IN_RBI"} <= listed
    one = await client.get("/v1/compliance/profiles/IN_RBI", headers=ny["agent_h"])
    assert one.status_code == 200 and one.json()["code"] == "IN_RBI"
    assert_problem(await client.get("/v1/compliance/profiles/NOPE", headers=ADMIN), 404)


async def test_evaluate_validates_and_scopes(client: httpx.AsyncClient, ny: dict) -> None:
    h, debt = ny["agent_h"], ny["debt_id"]
    future = await client.post(
        "/v1/compliance/evaluate",
        json={"debt_id": debt, "channel": "phone", "at": "2026-01-01T00:02:00Z"},
        headers={**h, "X-Arrears-Now": "2026-01-01T00:00:00Z"},
    )
    assert assert_problem(future, 422)["errors"][0]["pointer"] == "#/at"
    assert_problem(
        await client.post(
            "/v1/compliance/evaluate", json={"debt_id": debt, "channel": "fax"}, headers=h
        ),
        422,
    )
    other = await setup_debt(client, code="globex")
    assert_problem(
        await client.post(
            "/v1/compliance/evaluate",
            json={"debt_id": other["debt_id"], "channel": "phone"},
            headers=h,
        ),
        404,
    )
    assert_problem(
        await client.post(
            "/v1/compliance/evaluate",
            json={"debt_id": debt, "channel": "phone"},
            headers=ny["lender_h"],
        ),
        403,
    )
    bad_point = await client.post(
        "/v1/compliance/evaluate",
        json={"debt_id": debt, "channel": "phone", "contact_point_id": ny["email_id"]},
        headers=h,
    )
    assert assert_problem(bad_point, 422)["errors"][0]["pointer"] == "#/contact_point_id"


async def test_evaluate_runs_in_a_read_only_unit_of_work(
    client: httpx.AsyncClient, ny: dict
) -> None:
    """Evaluate writes nothing, so it runs like a GET; with an Idempotency-Key it still replays."""
    from fastapi.routing import iter_route_contexts

    from app.core.deps import _is_read_only
    from app.main import create_app

    app = create_app()
    routes = [c.original_route for c in iter_route_contexts(app.routes)]
    route = next(r for r in routes if getattr(r, "path", "") == "/v1/compliance/evaluate")

    class FakeRequest:
        method = "POST"
        scope = {"route": route}
        headers: dict[str, str] = {}

    assert _is_read_only(FakeRequest())  # type: ignore[arg-type]
    FakeRequest.headers = {"idempotency-key": "k"}
    assert not _is_read_only(FakeRequest())  # type: ignore[arg-type]
    body = {"debt_id": ny["debt_id"], "channel": "phone", "at": "2026-03-10T15:00:00Z"}
    headers = {
        **ny["agent_h"],
        "X-Arrears-Now": "2026-03-10T15:00:00Z",
        "Idempotency-Key": "eval-1",
    }
    first = await client.post("/v1/compliance/evaluate", json=body, headers=headers)
    again = await client.post("/v1/compliance/evaluate", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()


async def test_a_dispute_and_its_release_reach_the_lenders_outbox(
    client: httpx.AsyncClient, app: FastAPI, ny: dict
) -> None:
    endpoint = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://hooks.example.com/arrears", "event_types": ["debt.status_changed"]},
        headers=ny["lender_h"],
    )
    assert endpoint.status_code == 201, endpoint.text
    h, debt, debtor = ny["agent_h"], ny["debt_id"], ny["debtor_id"]
    now = {**h, "X-Arrears-Now": "2026-07-01T00:00:00Z"}
    dispute = await client.post(
        f"/v1/debtors/{debtor}/holds", json={"type": "dispute", "debt_id": debt}, headers=now
    )
    assert dispute.status_code == 201, dispute.text
    released = await client.post(
        f"/v1/debtors/{debtor}/holds/{dispute.json()['id']}/release", headers=now
    )
    assert released.status_code == 200, released.text
    assert (await client.get(f"/v1/debts/{debt}", headers=h)).json()["status"] == "active"

    async def queued(after: str) -> object:
        sql = (
            "SELECT count(*) FROM webhook_deliveries WHERE event_type = 'debt.status_changed' "
            "AND CAST(payload AS TEXT) LIKE :after"
        )
        return await scalar(app, sql, after=f'%"after": "{after}"%')

    assert await queued("disputed") == 1
    assert await queued("active") == 1
