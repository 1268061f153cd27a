"""`arrears demo --debts N`: a demo portfolio to explore the API with.

Creates (or reuses) the lender `demo` with a supervisor, prints a lender, an agent and an admin key,
and upserts N debts through the same set-based ingestion path the API uses, spread over several
states, time zones, products and buckets, with a little imported contact history.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.agents import service as agents_service
from app.agents.models import AgentTier
from app.agents.schemas import AgentCreate
from app.apikeys import service as keys_service
from app.apikeys.schemas import ApiKeyCreate
from app.core.crypto import DataCipher
from app.core.deps import session_scope
from app.core.roles import Role
from app.debts import ingest
from app.lenders import repository as lenders_repository
from app.lenders import service as lenders_service
from app.lenders.schemas import LenderCreate, LenderSettings

PLACES = [
    ("US", "NY", "Albany", "12207", "518"),
    ("US", "CA", "Sacramento", "95814", "916"),
    ("US", "TX", "Austin", "73301", "512"),
    ("US", "FL", "Miami", "33101", "305"),
    ("US", "MA", "Boston", "02108", "617"),
    ("US", "WA", "Seattle", "98101", "206"),
    ("US", "IL", "Chicago", "60601", "312"),
    ("US", "AZ", "Phoenix", "85001", "602"),
]
PRODUCTS = ["credit_card", "personal_loan", "microloan", "bnpl", "telecom_bill"]
NAMES = ["Alex Doe", "Sam Roe", "Jordan Poe", "Casey Moe", "Riley Loe", "Morgan Zoe"]


def demo_item(n: int, today: date, rng: random.Random) -> dict[str, Any]:
    country, state, city, postal, area = PLACES[n % len(PLACES)]
    balance = rng.randrange(5_000, 500_000)
    return {
        "external_ref": f"DEMO-{n:07d}",
        "debtor": {
            "external_ref": f"DEMO-P-{n:07d}",
            "kind": "person",
            "name": NAMES[n % len(NAMES)],
            "address": {
                "country": country,
                "subdivision": state,
                "city": city,
                "postal_code": postal,
            },
            "contact_points": [
                {"channel": "phone", "value": f"+1{area}555{n % 10000:04d}", "type": "cell"},
                {"channel": "email", "value": f"debtor{n}@example.com", "type": "personal"},
            ],
        },
        "product": PRODUCTS[n % len(PRODUCTS)],
        "currency": "USD",
        "principal_minor": balance,
        "balance_minor": balance,
        "due_date": (today - timedelta(days=rng.randrange(-10, 240))).isoformat(),
    }


async def _lender_and_keys(session: AsyncSession) -> tuple[Any, dict[str, str]]:
    lender = await lenders_repository.get_by_code(session, "demo")
    if lender is None:
        lender = await lenders_service.create_lender(
            session,
            LenderCreate(
                code="demo",
                name="Demo Lender",
                settings=LenderSettings(timezone="America/New_York"),
            ),
        )
    agent = await agents_service.create_agent(
        session,
        AgentCreate(name="Demo Supervisor", tier=AgentTier.SUPERVISOR, lender_ids=[lender.id]),
    )
    keys = {
        "admin": (
            await keys_service.create_key(session, ApiKeyCreate(role=Role.ADMIN, name="demo admin"))
        ).key,
        "lender": (
            await keys_service.create_key(
                session, ApiKeyCreate(role=Role.LENDER, name="demo lender", lender_id=lender.id)
            )
        ).key,
        "agent": (
            await keys_service.create_key(
                session, ApiKeyCreate(role=Role.AGENT, name="demo agent", agent_id=agent.id)
            )
        ).key,
    }
    return lender, keys


async def create_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    debts: int,
    *,
    now: datetime,
    cipher: DataCipher,
    secret: str,
) -> dict[str, Any]:
    """Create the demo lender, keys and `debts` debts; returns the keys and counts."""
    async with session_scope(sessionmaker) as session:
        lender, keys = await _lender_and_keys(session)
    rng = random.Random(42)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for start in range(0, debts, 1000):
        items = [demo_item(n, now.date(), rng) for n in range(start, min(start + 1000, debts))]
        async with session_scope(sessionmaker) as session:
            ctx = ingest.IngestContext(lender, "system:demo", now, cipher, secret)
            for result in await ingest.upsert_debts(session, ctx, items):
                counts[result.status] += 1
    return {"lender_id": str(lender.id), "keys": keys, "debts": counts}
