"""Deterministic, realistic debt items in the `POST /v1/debts` shape (PRODUCT.md §4 Debts)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

# (subdivision, city, postal code, area code): addresses and phones spread over US time zones.
US_PLACES = (
    ("NY", "Albany", "12207", "518"),
    ("NY", "Buffalo", "14202", "716"),
    ("FL", "Miami", "33130", "305"),
    ("IL", "Chicago", "60601", "312"),
    ("TX", "Houston", "77002", "713"),
    ("CO", "Denver", "80202", "720"),
    ("AZ", "Phoenix", "85004", "602"),
    ("CA", "Los Angeles", "90012", "213"),
    ("WA", "Seattle", "98101", "206"),
    ("MA", "Boston", "02108", "617"),
    ("GA", "Atlanta", "30303", "404"),
    ("OH", "Columbus", "43215", "614"),
    ("NY", "Brooklyn", "11201", "718"),  # New York City rules
    ("ID", "Boise", "83702", "208"),  # area code spanning two zones
)
# Places where only the federal Reg F preset applies (no state caps on every channel, not NYC).
REGF_ONLY_PLACES = tuple(p for p in US_PLACES if p[0] not in ("WA", "MA") and p[1] != "Brooklyn")
PRODUCTS = (
    "credit_card",
    "personal_loan",
    "microloan",
    "bank_loan",
    "bnpl",
    "telecom_bill",
    "utility_bill",
)
FIRST = ("Ava", "Liam", "Mia", "Noah", "Zoe", "Omar", "Lena", "Ivan", "Sara", "Tom", "Ines", "Raj")
LAST = ("Smith", "Garcia", "Chen", "Okafor", "Novak", "Haddad", "Kim", "Silva", "Brown", "Patel")


def debt_item(
    index: int,
    *,
    prefix: str,
    seed: int = 0,
    timezone: str | None = None,
    with_email: bool = False,
    places: tuple[tuple[str, str, str, str], ...] = US_PLACES,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Debt number `index` of a portfolio; the same arguments always give the same item."""
    rnd = random.Random(seed * 1_000_003 + index)
    subdivision, city, postal_code, area = places[index % len(places)]
    principal = rnd.randrange(5_000, 2_500_000)
    # Exchanges 200-999 with a 7-digit subscriber number are valid NANP numbers in every area code.
    phone = f"+1{area}{rnd.randrange(200, 999)}{rnd.randrange(0, 10_000):04d}"
    points: list[dict[str, str]] = [{"channel": "phone", "value": phone, "type": "cell"}]
    if with_email:
        points.append(
            {"channel": "email", "value": f"{prefix}.{index}@example.com", "type": "personal"}
        )
    debtor: dict[str, Any] = {
        "external_ref": f"{prefix}-P{index:08d}",
        "kind": "person",
        "name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
        "address": {
            "country": "US",
            "subdivision": subdivision,
            "city": city,
            "postal_code": postal_code,
        },
        "contact_points": points,
    }
    if timezone is not None:
        debtor["timezone"] = timezone
    due = (today or dt.date.today()) - dt.timedelta(days=rnd.randrange(1, 400))
    return {
        "external_ref": f"{prefix}-D{index:08d}",
        "debtor": debtor,
        "product": PRODUCTS[index % len(PRODUCTS)],
        "currency": "USD",
        "principal_minor": principal,
        "balance_minor": rnd.randrange(1, principal + 1),
        "due_date": due.isoformat(),
    }


def email_of(item: dict[str, Any]) -> str:
    """The email destination of an item built with `with_email=True`."""
    return next(p["value"] for p in item["debtor"]["contact_points"] if p["channel"] == "email")
