"""/v1/stats: dashboard aggregates (admin, viewer; a lender key sees only its own)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.core.auth import Principal, authorize
from app.core.clock import NowDep
from app.core.deps import SessionDep
from app.core.routing import errors, v1_router
from app.core.schemas import Day
from app.debts.models import Product
from app.stats import periods, scope, service
from app.stats import snapshots as snapshots  # registers the `stats_snapshots` sweep
from app.stats.periods import IntervalName
from app.stats.schemas import (
    AgentsStats,
    ComplianceStats,
    ContactStats,
    PortfolioStats,
    RecoveryStats,
    RollRateStats,
)

router = v1_router("stats")
Reader = Annotated[Principal, Depends(authorize("stats:read"))]
LenderQuery = Annotated[
    uuid.UUID | None,
    Query(
        description="One lender's figures (admin and unbound viewers). A lender key or a viewer "
        "bound to a lender always gets its own; naming another lender is 404."
    ),
]
ProductQuery = Annotated[Product | None, Query(description="Only debts of this product.")]
FromQuery = Annotated[
    Day | None,
    Query(
        alias="from",
        description="First day, inclusive (default: 29 days before `to`). Days are counted in the "
        "lender's time zone for one lender's figures, in UTC when several lenders are aggregated.",
    ),
]
ToQuery = Annotated[
    Day | None, Query(alias="to", description="Last day, inclusive (default: today).")
]
DOCUMENTED = errors(404)


async def _scope(
    session: SessionDep,
    principal: Reader,
    lender_id: LenderQuery = None,
    product: ProductQuery = None,
) -> scope.StatsScope:
    return await scope.resolve(session, principal, lender_id, product)


ScopeDep = Annotated[scope.StatsScope, Depends(_scope)]


@router.get("/stats/portfolio", response_model=PortfolioStats, responses=DOCUMENTED)
async def stats_portfolio(session: SessionDep, where: ScopeDep, now: NowDep) -> PortfolioStats:
    """Counts and balances of the debts now, by status, DPD bucket and product.

    Live figures (read from the debts themselves, so every committed write is counted at once).
    Buckets are as of today in each lender's time zone, exactly as the debts' own `bucket`.
    """
    return await service.portfolio(session, where, now=now)


@router.get("/stats/recovery", response_model=RecoveryStats, responses=DOCUMENTED)
async def stats_recovery(
    session: SessionDep,
    where: ScopeDep,
    now: NowDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    interval: Annotated[
        IntervalName, Query(description="day, week (from Monday) or month.")
    ] = "day",
) -> RecoveryStats:
    """Amounts collected and recovery rate per interval.

    Recovery rate = collected ÷ balance placed in the period. Collected: payments whose `paid_at`
    falls in the period, on any debt in scope. Placed: debts first received by Arrears (created) in
    the period, valued at the `balance_minor + fees_minor` they were received with. Per currency.
    """
    return await periods.recovery(session, where, date_from, date_to, interval, now=now)


@router.get("/stats/contacts", response_model=ContactStats, responses=DOCUMENTED)
async def stats_contacts(
    session: SessionDep,
    where: ScopeDep,
    now: NowDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> ContactStats:
    """Contact attempts and rates by channel, by `occurred_at`.

    Attempts = outbound contacts (live and imported). Right-party-contact rate = outbound contacts
    with a right-party outcome (conversation, promise_to_pay, refused, dispute_raised,
    cease_requested, callback_requested) ÷ attempts. Promise rate = outbound promise_to_pay ÷
    right-party contacts. Promise-kept rate = promise plans fully paid by due date + grace ÷ promise
    plans due in the range (resolved ones: completed or broken).
    """
    return await service.contacts(session, where, date_from, date_to, now=now)


@router.get("/stats/compliance", response_model=ComplianceStats, responses=DOCUMENTED)
async def stats_compliance(
    session: SessionDep,
    where: ScopeDep,
    now: NowDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> ComplianceStats:
    """Compliance decisions of contact attempts by outcome (allow/block) and reason code, by `at`."""
    return await service.compliance(session, where, date_from, date_to, now=now)


@router.get("/stats/agents", response_model=AgentsStats, responses=DOCUMENTED)
async def stats_agents(
    session: SessionDep,
    where: ScopeDep,
    now: NowDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> AgentsStats:
    """Per agent: debts worked, contacts and promises they recorded, and money collected.

    Collected = payments in the range on the debts currently assigned to the agent.
    """
    return await service.agents(session, where, date_from, date_to, now=now)


@router.get("/stats/roll-rates", response_model=RollRateStats, responses=DOCUMENTED)
async def stats_roll_rates(
    session: SessionDep,
    where: ScopeDep,
    now: NowDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> RollRateStats:
    """Bucket-to-bucket movement of open debts from day `from` to day `to`.

    Roll rate X→Y = share of the debts in bucket X on day `from` that sit in bucket Y on day `to`
    (`resolved`: no longer open). Read from the daily snapshots `arrears sweep` takes once per
    lender-local day, so `from` and `to` are each lender's own calendar days.
    """
    return await periods.roll_rates(session, where, date_from, date_to, now=now)
