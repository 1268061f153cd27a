"""Everything the pure rules engine needs, loaded in a few set-based queries.

One debt (evaluate, a contact attempt) or a hundred thousand (the dialer's call list) go through
the same path: debts → debtors, contact points, lenders, debt groups, holds, consents and the
contact history inside the engine's horizon, each one query per chunk of ids, columns only (no ORM
objects), then one `EvaluationContext` per debt.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.models import Consent, Hold
from app.contacts.models import Contact
from app.debtors.models import ContactPoint, Debtor
from app.debts.models import Debt
from app.lenders.models import Lender
from app.rules import (
    Address,
    ConsentState,
    EvaluationContext,
    HistoryContact,
    HoldState,
    InconvenientTime,
    LenderRule,
    history_horizon,
    parse_lender_rules,
)

CHUNK = 5000
# Which contact points serve which outreach channel, best first (a dialer calls the cell first).
POINT_CHANNEL = {
    "phone": "phone",
    "sms": "phone",
    "email": "email",
    "letter": "postal",
    "visit": "postal",
}
TYPE_PREFERENCE = {"cell": 0, "personal": 1, "home": 2, "other": 3, "work": 4}
# Channels that need a contact point; letters and visits go to the address.
NEEDS_DESTINATION = frozenset({"phone", "sms", "email"})
_MIN_HORIZON = timedelta(days=31)


@dataclass(frozen=True)
class Destination:
    contact_point_id: uuid.UUID | None
    value: str | None
    type: str | None
    status: str | None
    # A stored phone's time zones (`contact_points.time_zones`); None: found from the number.
    zones: tuple[str, ...] | None = None

    @classmethod
    def of(cls, point: Any) -> Destination:
        """A stored contact point (an entity or `one.PointFacts`) as the destination."""
        zones = point.time_zones
        return cls(point.id, point.value, point.type.value, point.status.value,
                   None if zones is None else tuple(zones))  # fmt: skip


@dataclass
class Facts:
    """One debt with its debtor and lender, as loaded."""

    debt: Any
    debtor: Any
    lender_profiles: tuple[str, ...]
    lender_rules: tuple[LenderRule, ...]
    points: list[Any] = field(default_factory=list)
    group: frozenset[str] = frozenset()
    holds: tuple[HoldState, ...] = ()
    consents: tuple[ConsentState, ...] = ()
    history: tuple[HistoryContact, ...] = ()


def chunks(ids: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@lru_cache(maxsize=1024)
def _parse_rules(raw: str) -> tuple[LenderRule, ...]:
    return parse_lender_rules(orjson.loads(raw))


def lender_rules(raw: list[dict[str, Any]] | None) -> tuple[LenderRule, ...]:
    return _parse_rules(orjson.dumps(raw or [], option=orjson.OPT_SORT_KEYS).decode())


def rules_horizon(rules: tuple[LenderRule, ...], at: datetime) -> timedelta:
    """How much history the lender's rules need (the engine decides; at least 31 days)."""
    return history_horizon(
        EvaluationContext(at=at, debt_id="-", channel="phone", lender_rules=rules)
    )


async def load_facts(
    session: AsyncSession,
    debt_ids: Sequence[uuid.UUID],
    *,
    at: datetime,
    scope: frozenset[uuid.UUID] | None,
) -> dict[uuid.UUID, Facts]:
    """Facts for the caller's debts among `debt_ids` (others are simply absent)."""
    debts: list[Any] = []
    for chunk in chunks(list(debt_ids)):
        stmt = select(
            Debt.id,
            Debt.lender_id,
            Debt.debtor_id,
            Debt.status,
            Debt.escalation_level,
            Debt.group_key,
            Debt.compliance_profiles,
        ).where(Debt.id.in_(chunk))
        if scope is not None:
            stmt = stmt.where(Debt.lender_id.in_(scope))
        debts.extend((await session.execute(stmt)).all())
    if not debts:
        return {}
    debtor_ids = list({d.debtor_id for d in debts})
    lenders = await load_lenders(session, {d.lender_id for d in debts})
    debtors = await _by_ids(
        session,
        Debtor,
        debtor_ids,
        Debtor.id,
        columns=(
            Debtor.id,
            Debtor.kind,
            Debtor.country,
            Debtor.subdivision,
            Debtor.city,
            Debtor.postal_code,
            Debtor.timezone,
            Debtor.inconvenient_times,
        ),
    )
    facts = {
        d.id: Facts(d, debtors[d.debtor_id][0], lenders[d.lender_id][0], lenders[d.lender_id][1])
        for d in debts
    }
    horizon = max((rules_horizon(rules, at) for _, rules in lenders.values()), default=_MIN_HORIZON)
    by_debtor: dict[uuid.UUID, list[Facts]] = defaultdict(list)
    for f in facts.values():
        by_debtor[f.debt.debtor_id].append(f)
    await _attach_points(session, debtor_ids, by_debtor)
    await _attach_groups(session, debts, facts)
    await _attach_holds(session, debtor_ids, by_debtor, at)
    await _attach_consents(session, debtor_ids, by_debtor, at)
    await _attach_history(session, debtor_ids, by_debtor, at, horizon)
    return facts


async def load_lenders(
    session: AsyncSession, ids: Collection[uuid.UUID] | None
) -> dict[uuid.UUID, tuple[tuple[str, ...], tuple[LenderRule, ...]]]:
    """Profiles and parsed rules of these lenders (None: of every lender)."""
    stmt = select(Lender.id, Lender.compliance_profiles, Lender.compliance_rules)
    if ids is not None:
        stmt = stmt.where(Lender.id.in_(ids))
    return {
        row.id: (tuple(row.compliance_profiles or ()), lender_rules(row.compliance_rules))
        for row in (await session.execute(stmt)).all()
    }


async def _by_ids(
    session: AsyncSession, _model: Any, ids: list[Any], key: Any, *, columns: tuple[Any, ...]
) -> dict[Any, list[Any]]:
    found: dict[Any, list[Any]] = defaultdict(list)
    for chunk in chunks(ids):
        for row in (await session.execute(select(*columns).where(key.in_(chunk)))).all():
            found[row[0]].append(row)
    return found


async def _attach_points(
    session: AsyncSession, debtor_ids: list[uuid.UUID], by_debtor: dict[uuid.UUID, list[Facts]]
) -> None:
    rows = await _by_ids(
        session,
        ContactPoint,
        debtor_ids,
        ContactPoint.debtor_id,
        columns=(
            ContactPoint.debtor_id,
            ContactPoint.id,
            ContactPoint.channel,
            ContactPoint.value,
            ContactPoint.type,
            ContactPoint.status,
            ContactPoint.created_at,
            ContactPoint.time_zones,
        ),
    )
    for debtor_id, points in rows.items():
        for f in by_debtor[debtor_id]:
            f.points = points


async def _attach_groups(
    session: AsyncSession, debts: list[Any], facts: dict[uuid.UUID, Facts]
) -> None:
    keys = {(d.lender_id, d.group_key) for d in debts if d.group_key}
    if not keys:
        return
    members: dict[tuple[uuid.UUID, str], set[str]] = defaultdict(set)
    lender_ids = list({k[0] for k in keys})
    group_keys = list({k[1] for k in keys})
    for chunk in chunks(group_keys):
        stmt = select(Debt.id, Debt.lender_id, Debt.group_key).where(
            Debt.lender_id.in_(lender_ids), Debt.group_key.in_(chunk)
        )
        for row in (await session.execute(stmt)).all():
            members[(row.lender_id, row.group_key)].add(str(row.id))
    for f in facts.values():
        if f.debt.group_key:
            f.group = frozenset(members[(f.debt.lender_id, f.debt.group_key)])


async def _attach_holds(
    session: AsyncSession,
    debtor_ids: list[uuid.UUID],
    by_debtor: dict[uuid.UUID, list[Facts]],
    at: datetime,
) -> None:
    found: dict[uuid.UUID, list[HoldState]] = defaultdict(list)
    for chunk in chunks(debtor_ids):
        stmt = (
            select(Hold, ContactPoint.value)
            .outerjoin(ContactPoint, ContactPoint.id == Hold.contact_point_id)
            .where(
                Hold.debtor_id.in_(chunk), or_(Hold.released_at.is_(None), Hold.released_at > at)
            )
            .order_by(
                Hold.starts_at, Hold.id
            )  # one order everywhere: the first hold names a reason
        )
        for hold, destination in (await session.execute(stmt)).all():
            found[hold.debtor_id].append(hold_state(hold, destination))
    for debtor_id, holds in found.items():
        for f in by_debtor[debtor_id]:
            f.holds = tuple(holds)


def hold_state(hold: Hold, destination: str | None) -> HoldState:
    return HoldState(
        id=str(hold.id),
        type=hold.type.value,
        debt_id=str(hold.debt_id) if hold.debt_id else None,
        channel=hold.channel.value if hold.channel else None,
        destination=destination,
        starts_at=hold.starts_at,
        ends_at=hold.ends_at,
        released_at=hold.released_at,
        opt_out_confirmations_used=hold.opt_out_confirmations_used,
    )


async def _attach_consents(
    session: AsyncSession,
    debtor_ids: list[uuid.UUID],
    by_debtor: dict[uuid.UUID, list[Facts]],
    at: datetime,
) -> None:
    found: dict[uuid.UUID, list[ConsentState]] = defaultdict(list)
    for chunk in chunks(debtor_ids):
        stmt = select(Consent).where(Consent.debtor_id.in_(chunk), Consent.given_at <= at)
        for c in (await session.scalars(stmt)).all():
            found[c.debtor_id].append(
                ConsentState(
                    id=str(c.id),
                    type=c.type.value,
                    channel=c.channel.value if c.channel else None,
                    debt_id=str(c.debt_id) if c.debt_id else None,
                    given_at=c.given_at,
                    expires_at=c.expires_at,
                )
            )
    for debtor_id, consents in found.items():
        for f in by_debtor[debtor_id]:
            f.consents = tuple(consents)


async def _attach_history(
    session: AsyncSession,
    debtor_ids: list[uuid.UUID],
    by_debtor: dict[uuid.UUID, list[Facts]],
    at: datetime,
    horizon: timedelta,
) -> None:
    found: dict[uuid.UUID, list[HistoryContact]] = defaultdict(list)
    since = at - horizon
    columns = (
        Contact.debtor_id,
        Contact.id,
        Contact.occurred_at,
        Contact.channel,
        Contact.direction,
        Contact.outcome,
        Contact.debt_id,
        Contact.also_debt_ids,
        Contact.to,
        Contact.destination_type,
        Contact.purpose,
        Contact.source,
    )
    for chunk in chunks(debtor_ids):
        stmt = select(*columns).where(
            Contact.debtor_id.in_(chunk),
            and_(Contact.occurred_at > since, Contact.occurred_at <= at),
        )
        for row in (await session.execute(stmt)).all():
            found[row.debtor_id].append(
                HistoryContact(
                    id=str(row.id),
                    occurred_at=row.occurred_at,
                    channel=row.channel.value,
                    direction=row.direction.value,
                    outcome=row.outcome.value,
                    debt_ids=frozenset([str(row.debt_id), *row.also_debt_ids]),
                    destination=row.to,
                    destination_type=row.destination_type,
                    purpose=row.purpose,
                    source=row.source.value,
                )
            )
    for debtor_id, history in found.items():
        history.sort(key=lambda h: h.occurred_at)
        for f in by_debtor[debtor_id]:
            f.history = tuple(history)


def best_destination(facts: Facts, channel: str) -> Destination | None:
    """The contact point a dialer would use for `channel`: active, by type preference."""
    wanted = POINT_CHANNEL[channel]
    points = [p for p in facts.points if p.channel.value == wanted and p.status.value == "active"]
    if not points:
        return None
    best = min(points, key=lambda p: (TYPE_PREFERENCE.get(p.type.value, 9), p.created_at, p.id))
    return Destination.of(best)


def _inconvenient(raw: list[dict[str, Any]] | None) -> tuple[InconvenientTime, ...]:
    return tuple(
        InconvenientTime(
            tuple(t["days"]), time.fromisoformat(t["from"]), time.fromisoformat(t["to"])
        )
        for t in raw or ()
    )


def build_context(
    facts: Facts, *, at: datetime, channel: str, purpose: str, destination: Destination | None
) -> EvaluationContext:
    debt, debtor = facts.debt, facts.debtor
    address = None
    if debtor.country:
        address = Address(debtor.country, debtor.subdivision, debtor.city, debtor.postal_code)
    explicit = tuple(dict.fromkeys([*(debt.compliance_profiles or ()), *facts.lender_profiles]))
    return EvaluationContext(
        at=at,
        debt_id=str(debt.id),
        debt_status=debt.status.value,
        escalation_level=debt.escalation_level,
        group_debt_ids=facts.group,
        debtor_kind=debtor.kind.value,
        address=address,
        debtor_timezone=debtor.timezone,
        inconvenient_times=_inconvenient(debtor.inconvenient_times),
        channel=channel,
        purpose=purpose,
        destination=destination.value if destination else None,
        destination_type=destination.type if destination else None,
        destination_status=destination.status if destination else None,
        destination_zones=destination.zones if destination else None,
        profiles=explicit,
        lender_rules=facts.lender_rules,
        holds=facts.holds,
        consents=facts.consents,
        history=facts.history,
    )
