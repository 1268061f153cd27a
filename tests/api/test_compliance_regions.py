"""Regional presets through POST /v1/compliance/evaluate, at exact UTC instants."""

from __future__ import annotations

import httpx

from tests.compliance_helpers import codes, evaluate, import_calls, setup_debt


async def test_area_code_208_adds_both_idaho_zones(client: httpx.AsyncClient) -> None:
    # Address in New York, phone in Idaho (208: America/Boise and America/Los_Angeles).
    d = await setup_debt(client, phone="+12085550143")
    h, debt = d["agent_h"], d["debt_id"]
    # 2026-03-10 13:30Z = 09:30 New York, 07:30 Boise, 06:30 Los Angeles → too early on the West.
    early = await evaluate(client, h, debt, "2026-03-10T13:30:00Z")
    assert "OUTSIDE_TIME_WINDOW" in codes(early)
    zones = {z["tz"]: z["source"] for z in early["candidate_zones"]}
    assert zones["America/New_York"] == "address" and zones["America/Los_Angeles"] == "phone"
    assert "America/Boise" in zones
    # 08:00 in Los Angeles (PDT) = 15:00Z.
    assert early["next_allowed_at"] == "2026-03-10T15:00:00Z"
    # An email uses the location zones only.
    assert (await evaluate(client, h, debt, "2026-03-10T13:30:00Z", channel="email"))[
        "decision"
    ] == "allow"
    # 21:00 New York = 01:00Z: late in the East even if fine in the West.
    assert "OUTSIDE_TIME_WINDOW" in codes(await evaluate(client, h, debt, "2026-03-11T01:00:00Z"))


async def test_toll_free_number_adds_no_zone(client: httpx.AsyncClient) -> None:
    d = await setup_debt(client, phone="+18005550199")
    decision = await evaluate(client, d["agent_h"], d["debt_id"], "2026-03-10T13:30:00Z")
    assert decision["decision"] == "allow"
    assert [z["tz"] for z in decision["candidate_zones"]] == ["America/New_York"]


async def test_massachusetts_two_calls_in_seven_days(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "US", "subdivision": "MA", "city": "Boston", "postal_code": "02108"},
        phone="+16175550100",
    )
    h, debt = d["agent_h"], d["debt_id"]
    await import_calls(
        client, d["lender_h"], debt, ["2026-04-06T15:00:00Z", "2026-04-07T15:00:00Z"]
    )
    third = await evaluate(client, h, debt, "2026-04-08T15:00:00Z")
    assert codes(third) == {"MA_2_PER_7_DAYS"}
    # Returning the debtor's call is neither counted nor capped.
    reply = await evaluate(
        client, h, debt, "2026-04-08T15:00:00Z", purpose="response_to_debtor_request"
    )
    assert reply["decision"] == "allow"
    assert "MA_RESPONSE_TO_DEBTOR_REQUEST" in {w["code"] for w in reply["warnings"]}


async def test_new_york_city_three_attempts_in_seven_days(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "US", "subdivision": "NY", "city": "Brooklyn", "postal_code": "11201"},
    )
    h, debt = d["agent_h"], d["debt_id"]
    await import_calls(
        client, d["lender_h"], debt, ["2026-04-06T15:00:00Z", "2026-04-07T15:00:00Z"]
    )
    await import_calls(
        client, d["lender_h"], debt, ["2026-04-07T16:00:00Z"], channel="email", outcome="delivered"
    )
    fourth = await evaluate(client, h, debt, "2026-04-08T15:00:00Z", channel="sms")
    assert "NYC_3_PER_7_DAYS" in codes(fourth)
    assert "US_NYC_DCWP@" in " ".join(fourth["profiles"])


async def test_australia_day_and_weekend_hours(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "AU", "subdivision": "NSW", "city": "Sydney", "postal_code": "2000"},
        phone="+61412345678",
        currency="AUD",
        lender_settings={"timezone": "Australia/Sydney"},
    )
    h, debt = d["agent_h"], d["debt_id"]
    # Monday 26 January 2026, 10:00 in Sydney (AEDT, UTC+11) = 25 Jan 23:00Z: Australia Day.
    holiday = await evaluate(client, h, debt, "2026-01-25T23:00:00Z")
    assert "PUBLIC_HOLIDAY" in codes(holiday)
    assert holiday["next_allowed_at"] == "2026-01-26T20:30:00Z"  # Tuesday 07:30 Sydney
    # Saturday 31 January 08:30 Sydney (21:30Z Friday) is before the 09:00 weekend start; weekdays start at 07:30.
    assert "OUTSIDE_TIME_WINDOW" in codes(await evaluate(client, h, debt, "2026-01-30T21:30:00Z"))
    assert (await evaluate(client, h, debt, "2026-01-30T22:00:00Z"))["decision"] == "allow"
    assert (await evaluate(client, h, debt, "2026-01-28T20:30:00Z"))[
        "decision"
    ] == "allow"  # Thu 07:30


async def test_australia_counts_actual_contacts_only(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "AU", "subdivision": "VIC", "city": "Melbourne", "postal_code": "3000"},
        phone="+61412345678",
        currency="AUD",
        lender_settings={"timezone": "Australia/Melbourne"},
    )
    h, debt = d["agent_h"], d["debt_id"]
    await import_calls(
        client,
        d["lender_h"],
        debt,
        [f"2026-03-0{i}T00:00:00Z" for i in (2, 3, 4, 5)],
        outcome="no_answer",
    )
    assert (await evaluate(client, h, debt, "2026-03-06T00:00:00Z"))["decision"] == "allow"
    await import_calls(
        client,
        d["lender_h"],
        debt,
        [f"2026-03-0{i}T01:00:00Z" for i in (2, 3, 4)],
        outcome="conversation",
    )
    capped = await evaluate(client, h, debt, "2026-03-06T00:00:00Z")
    assert "AU_MAX_3_CONTACTS_PER_WEEK" in codes(capped)


async def test_india_until_19_00(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "IN", "city": "Mumbai", "postal_code": "400001"},
        phone="+919812345678",
        currency="INR",
        lender_settings={"timezone": "Asia/Kolkata"},
    )
    h, debt = d["agent_h"], d["debt_id"]
    # 18:59 IST = 13:29Z; 19:00 IST = 13:30Z.
    assert (await evaluate(client, h, debt, "2026-03-10T13:29:00Z"))["decision"] == "allow"
    late = await evaluate(client, h, debt, "2026-03-10T13:30:00Z")
    assert "OUTSIDE_TIME_WINDOW" in codes(late)
    assert late["next_allowed_at"] == "2026-03-11T02:30:00Z"  # 08:00 IST


async def test_china_22_00_with_and_without_consent(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "CN", "city": "Shanghai", "postal_code": "200000"},
        phone="+8613812345678",
        currency="CNY",
        lender_settings={"timezone": "Asia/Shanghai"},
    )
    h, debt = d["agent_h"], d["debt_id"]
    # 22:00 Beijing time = 14:00Z.
    assert (await evaluate(client, h, debt, "2026-03-10T13:59:00Z"))["decision"] == "allow"
    night = await evaluate(client, h, debt, "2026-03-10T14:00:00Z")
    assert "OUTSIDE_TIME_WINDOW" in codes(night)
    assert night["next_allowed_at"] == "2026-03-11T00:00:00Z"
    consent = await client.post(
        f"/v1/debtors/{d['debtor_id']}/consents",
        json={"type": "outside_hours", "given_at": "2026-03-10T10:00:00Z"},
        headers={**h, "X-Arrears-Now": "2026-03-10T10:00:00Z"},
    )
    assert consent.status_code == 201
    assert (await evaluate(client, h, debt, "2026-03-10T14:00:00Z"))["decision"] == "allow"


async def test_china_six_unanswered_dials_per_day(client: httpx.AsyncClient) -> None:
    d = await setup_debt(
        client,
        address={"country": "CN", "city": "Shanghai", "postal_code": "200000"},
        phone="+8613812345678",
        currency="CNY",
        lender_settings={"timezone": "Asia/Shanghai"},
    )
    h, debt = d["agent_h"], d["debt_id"]
    dials = [f"2026-03-10T0{i}:00:00Z" for i in range(1, 7)]
    items = [
        {
            "occurred_at": t,
            "channel": "phone",
            "direction": "outbound",
            "outcome": "no_answer",
            "contact_point_id": d["phone_id"],
        }
        for t in dials
    ]
    r = await client.post(
        f"/v1/debts/{debt}/contacts/import", json={"items": items}, headers=d["lender_h"]
    )
    assert r.status_code == 201
    seventh = await evaluate(
        client, h, debt, "2026-03-10T08:00:00Z", contact_point_id=d["phone_id"]
    )
    assert "CN_MAX_6_UNANSWERED_ATTEMPTS_PER_DAY_SAME_NUMBER" in codes(seventh)
    # The count clears at local midnight (16:00Z), but the night window then holds until 08:00.
    assert seventh["next_allowed_at"] == "2026-03-11T00:00:00Z"


async def test_company_debtors_get_business_hours(client: httpx.AsyncClient) -> None:
    d = await setup_debt(client, debtor={"kind": "company", "name": "Widgets Ltd"})
    h, debt = d["agent_h"], d["debt_id"]
    # 08:30 New York on a weekday: fine for consumers, closed for B2B (09:00–18:00).
    early = await evaluate(client, h, debt, "2026-03-10T12:30:00Z")
    assert "OUTSIDE_TIME_WINDOW" in codes(early)
    assert "B2B_BUSINESS_HOURS@" in " ".join(early["profiles"])
