"""The call list agrees with evaluate for every debt of a varied portfolio, at several instants."""

from __future__ import annotations

from typing import Any

import httpx

from tests.compliance_helpers import import_calls, setup_debt
from tests.conftest import ADMIN
from tests.debts_helpers import debt_item

NOW = "2026-04-10T23:00:00Z"
# Tuesday 16:00 UTC (noon in New York), a Wednesday evening, a Friday morning before 8 in LA.
INSTANTS = ["2026-04-07T16:00:00Z", "2026-04-08T23:30:00Z", "2026-04-10T14:30:00Z"]
ADDRESSES = {
    "ny": {"country": "US", "subdivision": "NY", "city": "Albany", "postal_code": "12207"},
    "nyc": {"country": "US", "subdivision": "NY", "city": "Brooklyn", "postal_code": "11201"},
    "ca": {"country": "US", "subdivision": "CA", "city": "Oakland", "postal_code": "94607"},
    "ma": {"country": "US", "subdivision": "MA", "city": "Boston", "postal_code": "02108"},
    "wa": {"country": "US", "subdivision": "WA", "city": "Seattle", "postal_code": "98101"},
    "id": {"country": "US", "subdivision": "ID", "city": "Boise", "postal_code": "83702"},
}
PHONES = {"ny": "+12125550101", "nyc": "+17185550102", "ca": "+14155550103",
          "ma": "+16175550104", "wa": "+12065550105", "id": "+12085550106"}  # fmt: skip


async def _debt(
    client: httpx.AsyncClient, lh: dict[str, str], ref: str, zone: str, **extra: Any
) -> dict[str, Any]:
    item = debt_item(ref, debtor_ref=extra.pop("debtor_ref", None), **extra)
    item["debtor"]["address"] = ADDRESSES[zone]
    item["debtor"]["contact_points"] = [
        {"channel": "phone", "value": PHONES[zone], "type": "cell"},
        {"channel": "phone", "value": "+18005550199", "type": "work"},
        {"channel": "email", "value": f"{ref.lower()}@example.com", "type": "personal"},
    ]
    created = await client.post("/v1/debts", json=item, headers=lh)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
    response = await client.post(url, json=body, headers={**ADMIN, "X-Arrears-Now": NOW})
    assert response.status_code in (200, 201), response.text


async def _portfolio(client: httpx.AsyncClient) -> tuple[dict[str, Any], list[str]]:
    d = await setup_debt(client)
    lh = d["lender_h"]
    ids = [d["debt_id"]]
    debts: dict[str, dict[str, Any]] = {}
    # Two plain debts per zone: debts of one shape share an answer; each must still match.
    for zone in ADDRESSES:
        for n in (1, 2):
            debts[f"{zone}{n}"] = await _debt(client, lh, f"D-{zone}{n}", zone)
    # Caps reached and a conversation's cool-down, imported from a previous system.
    week = [f"2026-04-0{i}T15:00:00Z" for i in range(1, 8)]
    await import_calls(client, lh, debts["ny1"]["id"], week)
    await import_calls(
        client, lh, debts["ma1"]["id"], ["2026-04-05T15:00:00Z", "2026-04-06T15:00:00Z"]
    )
    await import_calls(
        client, lh, debts["ca1"]["id"], ["2026-04-06T18:00:00Z"], outcome="conversation"
    )
    await import_calls(
        client, lh, debts["wa1"]["id"], ["2026-04-07T15:30:00Z"], outcome="no_answer"
    )
    # A second debt of one debtor, and a contact about both debts of another (also_debt_ids).
    same = await _debt(client, lh, "D-ny1b", "ny", debtor_ref="debtor-D-ny1")
    also = await _debt(client, lh, "D-id1b", "id", debtor_ref="debtor-D-id1")
    await _post(client, f"/v1/debts/{debts['id1']['id']}/contacts/import", {"items": [
        {"occurred_at": t, "channel": "phone", "direction": "outbound", "outcome": "no_answer",
         "also_debt_ids": [also["id"]]} for t in week]})  # fmt: skip
    # A group_key pair: calls about one count for the other.
    pair = [await _debt(client, lh, f"D-grp{n}", "ca", group_key="G-1") for n in (1, 2)]
    await import_calls(client, lh, pair[0]["id"], week)
    # Holds with and without an end, a consent, a closed and a paid debt, a debt without phone.
    await _post(
        client,
        f"/v1/debtors/{debts['nyc1']['debtor_id']}/holds",
        {"type": "bankruptcy", "starts_at": "2026-04-01T00:00:00Z"},
    )
    await _post(client, f"/v1/debtors/{debts['ma2']['debtor_id']}/holds",
                {"type": "breathing_space", "starts_at": "2026-04-01T00:00:00Z",
                 "ends_at": "2026-04-08T12:00:00Z"})  # fmt: skip
    await _post(client, f"/v1/debtors/{debts['wa2']['debtor_id']}/holds",
                {"type": "dispute", "debt_id": debts["wa2"]["id"], "starts_at": "2026-04-01T00:00:00Z"})  # fmt: skip
    await _post(client, f"/v1/debtors/{debts['ny2']['debtor_id']}/consents",
                {"type": "direct_prior_consent", "given_at": "2026-04-06T12:00:00Z"})  # fmt: skip
    await import_calls(client, lh, debts["ny2"]["id"], week)
    closed = await _debt(client, lh, "D-closed", "ny")
    await client.patch(f"/v1/debts/{closed['id']}", json={"status": "recalled"}, headers=lh)
    paid = await _debt(client, lh, "D-paid", "ca", balance_minor=5_000)
    payment = {"amount_minor": 5_000, "currency": "USD", "paid_at": "2026-04-02T10:00:00Z",
               "external_ref": "pay-1"}  # fmt: skip
    await _post(client, f"/v1/debts/{paid['id']}/payments", payment)
    no_phone_item = debt_item("D-nophone")
    no_phone_item["debtor"]["contact_points"] = [
        {"channel": "email", "value": "nophone@example.com", "type": "personal"}
    ]
    no_phone = (await client.post("/v1/debts", json=no_phone_item, headers=lh)).json()
    ids += [x["id"] for x in debts.values()] + [same["id"], also["id"], *(x["id"] for x in pair)]
    ids += [closed["id"], paid["id"], no_phone["id"]]
    return d, ids


def _expected(single: dict[str, Any]) -> dict[str, Any]:
    return {"reasons": single["reasons"], "next_allowed_at": single["next_allowed_at"]}


async def test_every_debt_of_the_call_list_agrees_with_evaluate(client: httpx.AsyncClient) -> None:
    d, ids = await _portfolio(client)
    paid = (await client.get(f"/v1/debts/{ids[-2]}", headers=d["lender_h"])).json()
    assert paid["status"] == "paid"
    other = await setup_debt(client, code="globex")
    seen_codes: set[str] = set()
    for channel in ("phone", "email"):
        for at in INSTANTS:
            headers = {**d["agent_h"], "X-Arrears-Now": NOW}
            body = {"channel": channel, "at": at, "debt_ids": [*ids, other["debt_id"]]}
            response = await client.post("/v1/compliance/callable", json=body, headers=headers)
            assert response.status_code == 200, response.text
            listed = response.json()
            blocked = {b["debt_id"]: b for b in listed["blocked"]}
            assert listed["allowed"] + list(blocked) != []
            assert sorted(listed["allowed"] + list(blocked)) == sorted(
                ids
            )  # the other tenant's: absent
            for debt_id in ids:
                if channel == "phone" and debt_id == ids[-1]:  # the debtor without a phone
                    assert [r["code"] for r in blocked[debt_id]["reasons"]] == [
                        "NO_ACTIVE_DESTINATION"
                    ]
                    continue
                single = await client.post(
                    "/v1/compliance/evaluate",
                    json={"debt_id": debt_id, "channel": channel, "at": at},
                    headers=headers,
                )
                assert single.status_code == 200, single.text
                decision = single.json()
                seen_codes |= {r["code"] for r in decision["reasons"]}
                if decision["decision"] == "allow":
                    assert debt_id in listed["allowed"], (
                        channel,
                        at,
                        debt_id,
                        blocked.get(debt_id),
                    )
                else:
                    got = {k: blocked[debt_id][k] for k in ("reasons", "next_allowed_at")}
                    assert got == _expected(decision), (channel, at, debt_id)
    # The portfolio reaches the rules it is meant to reach.
    assert {"REGF_7_CALLS_IN_7_DAYS", "BANKRUPTCY_STAY", "BREATHING_SPACE_MORATORIUM",
            "DISPUTE_VERIFICATION_PENDING", "DEBT_NOT_COLLECTABLE"} <= seen_codes  # fmt: skip
