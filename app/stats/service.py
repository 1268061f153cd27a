"""Statistics: scope the request, run the aggregates in SQL, roll the grouped rows into figures."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.models import Outcome
from app.stats import activity_repository as activity
from app.stats import repository
from app.stats.schemas import (
    AgentsStats,
    AgentStats,
    Amount,
    ChannelContacts,
    Collected,
    ComplianceStats,
    ContactFigures,
    ContactStats,
    PortfolioGroup,
    PortfolioStats,
    PromiseFigures,
    ReasonCount,
)
from app.stats.scope import StatsScope, date_range

RIGHT_PARTY = frozenset(
    {
        Outcome.CONVERSATION,
        Outcome.PROMISE_TO_PAY,
        Outcome.REFUSED,
        Outcome.DISPUTE_RAISED,
        Outcome.CEASE_REQUESTED,
        Outcome.CALLBACK_REQUESTED,
    }
)
BUCKET_ORDER = ["current", "1-30", "31-60", "61-90", "91-180", "181+"]
OPEN_EXCLUDED = frozenset(repository.TERMINAL_VALUES)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


class _Groups:
    """Sums of (count, balance, principal, fees) per key and currency."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.money: dict[str, dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(lambda: [0, 0, 0])
        )

    def add(self, key: str, currency: str, count: int, money: tuple[int, int, int]) -> None:
        self.counts[key] += count
        sums = self.money[key][currency]
        for i, value in enumerate(money):
            sums[i] += value

    def out(self, order: list[str] | None = None) -> list[PortfolioGroup]:
        keys = [k for k in order if k in self.counts] if order else sorted(self.counts)
        return [self.group(k) for k in keys]

    def group(self, key: str) -> PortfolioGroup:
        amounts = [
            Amount(currency=c, balance_minor=b, principal_minor=p, fees_minor=f)
            for c, (b, p, f) in sorted(self.money[key].items())
        ]
        return PortfolioGroup(key=key, count=self.counts.get(key, 0), amounts=amounts)


async def portfolio(session: AsyncSession, scope: StatsScope, *, now: datetime) -> PortfolioStats:
    cube = await repository.portfolio_cube(
        session, scope.lender_ids, scope.product, scope.todays(now)
    )
    total, status, bucket, product = _Groups(), _Groups(), _Groups(), _Groups()
    for st, prod, bk, currency, count, balance, principal, fees in cube:
        money = (balance, principal, fees)
        total.add("total", currency, count, money)
        status.add(st, currency, count, money)
        product.add(prod, currency, count, money)
        if st not in OPEN_EXCLUDED:
            bucket.add(bk, currency, count, money)
    return PortfolioStats(
        scope=scope.describe(),
        total=total.group("total"),
        by_status=status.out(),
        by_bucket=bucket.out(BUCKET_ORDER),
        by_product=product.out(),
    )


def _figures(cells: list[tuple[str, str, int]]) -> dict[str, int]:
    """Counts from (direction, outcome, contacts) rows."""
    out = {"attempts": 0, "right_party_contacts": 0, "promises": 0, "inbound": 0}
    for direction, outcome, n in cells:
        if direction != "outbound":
            out["inbound"] += n
            continue
        out["attempts"] += n
        if outcome in RIGHT_PARTY:
            out["right_party_contacts"] += n
        if outcome == Outcome.PROMISE_TO_PAY:
            out["promises"] += n
    return out


def _rates(counts: dict[str, int]) -> dict[str, float | None]:
    return {
        "right_party_contact_rate": ratio(counts["right_party_contacts"], counts["attempts"]),
        "promise_rate": ratio(counts["promises"], counts["right_party_contacts"]),
    }


async def contacts(
    session: AsyncSession,
    scope: StatsScope,
    first: date | None,
    last: date | None,
    *,
    now: datetime,
) -> ContactStats:
    first, last = date_range(scope, first, last, now)
    start, end = scope.instant(first), scope.instant(last.fromordinal(last.toordinal() + 1))
    cube = await activity.contact_cube(session, scope.lender_ids, scope.product, start, end)
    per_channel: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for channel, direction, outcome, n in cube:
        per_channel[channel].append((direction, outcome, n))
    total = _figures([cell for cells in per_channel.values() for cell in cells])
    by_channel = []
    for channel in sorted(per_channel):
        counts = _figures(per_channel[channel])
        by_channel.append(ChannelContacts(channel=channel, **counts, **_rates(counts)))
    due, kept = await activity.promise_outcomes(
        session, scope.lender_ids, scope.product, first, last
    )
    return ContactStats(
        scope=scope.describe(first, last),
        total=ContactFigures(**total, **_rates(total)),
        by_channel=by_channel,
        promises_kept=PromiseFigures(due=due, kept=kept, kept_rate=ratio(kept, due)),
    )


async def compliance(
    session: AsyncSession,
    scope: StatsScope,
    first: date | None,
    last: date | None,
    *,
    now: datetime,
) -> ComplianceStats:
    first, last = date_range(scope, first, last, now)
    start, end = scope.instant(first), scope.instant(last.fromordinal(last.toordinal() + 1))
    args = (session, scope.lender_ids, scope.product, start, end)
    verdicts = await activity.decisions_by_verdict(*args)
    reasons = await activity.decisions_by_reason(*args)
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return ComplianceStats(
        scope=scope.describe(first, last),
        total=sum(verdicts.values()),
        by_decision={"allow": verdicts.get("allow", 0), "block": verdicts.get("block", 0)},
        by_reason=[ReasonCount(code=code, decisions=n) for code, n in ranked],
    )


async def agents(
    session: AsyncSession,
    scope: StatsScope,
    first: date | None,
    last: date | None,
    *,
    now: datetime,
) -> AgentsStats:
    first, last = date_range(scope, first, last, now)
    start, end = scope.instant(first), scope.instant(last.fromordinal(last.toordinal() + 1))
    args = (session, scope.lender_ids, scope.product, start, end)
    worked = {a: (d, c, p) for a, d, c, p in await activity.agent_contacts(*args)}
    collected: dict[uuid.UUID, list[Collected]] = defaultdict(list)
    for agent_id, currency, amount in await activity.agent_collections(*args):
        collected[agent_id].append(Collected(currency=currency, amount_minor=amount))
    ids = sorted(set(worked) | set(collected), key=str)
    names = await activity.agent_names(session, ids)
    items = [
        AgentStats(
            agent_id=agent_id,
            name=names.get(agent_id),
            debts_worked=worked.get(agent_id, (0, 0, 0))[0],
            contacts=worked.get(agent_id, (0, 0, 0))[1],
            promises=worked.get(agent_id, (0, 0, 0))[2],
            collected=sorted(collected.get(agent_id, []), key=lambda c: c.currency),
        )
        for agent_id in ids
    ]
    return AgentsStats(scope=scope.describe(first, last), items=items)
