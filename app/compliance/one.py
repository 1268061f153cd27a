"""The facts of one debt in one round trip on PostgreSQL (evaluate, a contact attempt).

`loader.load_facts` serves any number of debts with one query per kind of fact (eight round trips
for a single debt). For the single-debt case PostgreSQL can answer everything in one statement:
the debt, its lender and debtor joined, and the contact points, group, holds, consents and
history as arrays of anonymous records (asyncpg decodes them to tuples with their native types).
History is read over the engine's minimum horizon; when the lender's own rules need more, a
second statement reads the longer span. The result is the same `Facts` the set-based loader
builds, and `tests/api/test_compliance_one.py` compares the two.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.loader import _MIN_HORIZON, Facts, lender_rules, rules_horizon
from app.core.pg import PgStatement
from app.debtors.models import ContactChannel, ContactPointStatus, ContactPointType, DebtorKind
from app.debts.models import DebtStatus
from app.rules import ConsentState, HistoryContact, HoldState


@dataclass(frozen=True, slots=True)
class DebtFacts:
    id: uuid.UUID
    lender_id: uuid.UUID
    debtor_id: uuid.UUID
    status: DebtStatus
    escalation_level: str
    group_key: str | None
    compliance_profiles: list[str]


@dataclass(frozen=True, slots=True)
class DebtorFacts:
    id: uuid.UUID
    kind: DebtorKind
    country: str | None
    subdivision: str | None
    city: str | None
    postal_code: str | None
    timezone: str | None
    inconvenient_times: list[dict[str, Any]] | None


@dataclass(frozen=True, slots=True)
class PointFacts:
    debtor_id: uuid.UUID
    id: uuid.UUID
    channel: ContactChannel
    value: str
    type: ContactPointType
    status: ContactPointStatus
    created_at: datetime
    time_zones: list[str] | None


_HISTORY = """
    SELECT ROW(k.id, k.occurred_at, k.channel, k.direction, k.outcome, k.debt_id,
               k.also_debt_ids::text, k."to", k.destination_type, k.purpose, k.source)
    FROM contacts k
    WHERE k.debtor_id = d.debtor_id AND k.occurred_at > :since AND k.occurred_at <= :at
    ORDER BY k.occurred_at, k.id
"""

_FACTS = f"""
SELECT d.id, d.lender_id, d.debtor_id, d.status, d.escalation_level, d.group_key,
       d.compliance_profiles, l.compliance_profiles, l.compliance_rules,
       ROW(b.id, b.kind, b.country, b.subdivision, b.city, b.postal_code, b.timezone,
           b.inconvenient_times),
       ARRAY(SELECT ROW(cp.debtor_id, cp.id, cp.channel, cp.value, cp.type, cp.status,
                        cp.created_at, cp.time_zones::text)
             FROM contact_points cp WHERE cp.debtor_id = d.debtor_id),
       CASE WHEN d.group_key <> '' THEN
           ARRAY(SELECT g.id FROM debts g
                 WHERE g.lender_id = d.lender_id AND g.group_key = d.group_key)
       END,
       ARRAY(SELECT ROW(h.id, h.type, h.debt_id, h.channel, p.value, h.starts_at, h.ends_at,
                        h.released_at, h.opt_out_confirmations_used)
             FROM holds h LEFT JOIN contact_points p ON p.id = h.contact_point_id
             WHERE h.debtor_id = d.debtor_id AND (h.released_at IS NULL OR h.released_at > :at)
             ORDER BY h.starts_at, h.id),
       ARRAY(SELECT ROW(c.id, c.type, c.channel, c.debt_id, c.given_at, c.expires_at)
             FROM consents c WHERE c.debtor_id = d.debtor_id AND c.given_at <= :at),
       ARRAY({_HISTORY}){{extra}}
FROM debts d
JOIN lenders l ON l.id = d.lender_id
JOIN debtors b ON b.id = d.debtor_id
WHERE d.id = :debt_id{{scope}}{{suffix}}
"""
_COLUMNS = 15  # the facts' own columns; a statement's extra columns follow them


class FactsStatement:
    """The facts statement, optionally with extra columns after the facts' own (`d`, `l` and
    `b` are the debt, its lender and its debtor) and a suffix such as a row lock."""

    __slots__ = ("all", "scoped")

    def __init__(self, extra: str = "", suffix: str = "") -> None:
        parts = {"extra": f",\n       {extra}" if extra else "", "suffix": f"\n{suffix}"}
        self.all = PgStatement(_FACTS.format(scope="", **parts))
        self.scoped = PgStatement(_FACTS.format(scope=" AND d.lender_id = ANY(:scope)", **parts))


_PLAIN = FactsStatement()
_LONG_HISTORY = PgStatement(f"SELECT ARRAY({_HISTORY}) FROM debts d WHERE d.id = :debt_id")


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _history(records: list[tuple[Any, ...]]) -> tuple[HistoryContact, ...]:
    return tuple(
        HistoryContact(
            id=str(r[0]),
            occurred_at=r[1],
            channel=r[2],
            direction=r[3],
            outcome=r[4],
            # also_debt_ids as JSON text: nearly always "[]", which needs no parsing
            debt_ids=frozenset([str(r[5])] if r[6] == "[]" else [str(r[5]), *_json(r[6])]),
            destination=r[7],
            destination_type=r[8],
            purpose=r[9],
            source=r[10],
        )
        for r in records
    )


async def load_one_postgres(
    session: AsyncSession,
    debt_id: uuid.UUID,
    *,
    at: datetime,
    scope: frozenset[uuid.UUID] | None,
    begin: bool = False,
) -> Facts | None:
    """The facts of one of the caller's debts, or None when it is absent or not theirs.

    `begin`: read inside the session's transaction; evaluate reads them in autocommit."""
    found = await fetch_facts(session, _PLAIN, debt_id, at=at, scope=scope, begin=begin)
    return None if found is None else found[0]


async def fetch_facts(
    session: AsyncSession,
    statement: FactsStatement,
    debt_id: uuid.UUID,
    *,
    at: datetime,
    scope: frozenset[uuid.UUID] | None,
    begin: bool,
) -> tuple[Facts, tuple[Any, ...]] | None:
    """The facts with the statement's extra columns, or None for an absent or foreign debt."""
    params: dict[str, Any] = {"debt_id": debt_id, "at": at, "since": at - _MIN_HORIZON}
    stmt = statement.all
    if scope is not None:
        stmt, params["scope"] = statement.scoped, list(scope)
    row = await stmt.fetchrow(session, params, begin=begin)
    if row is None:
        return None
    (id_, lender_id, debtor_id, status, level, group_key, debt_profiles) = row[:7]
    lender_profiles, raw_rules, debtor, points, group, holds, consents, history = row[7:_COLUMNS]
    rules = lender_rules(_json(raw_rules))
    horizon = rules_horizon(rules, at)
    if horizon > _MIN_HORIZON:
        longer = {"debt_id": debt_id, "at": at, "since": at - horizon}
        history = (await _LONG_HISTORY.fetchrow(session, longer, begin=begin))[0]
    facts = Facts(
        debt=DebtFacts(
            id_, lender_id, debtor_id, DebtStatus(status), level, group_key, _json(debt_profiles)
        ),
        debtor=DebtorFacts(
            id=debtor[0],
            kind=DebtorKind(debtor[1]),
            country=debtor[2],
            subdivision=debtor[3],
            city=debtor[4],
            postal_code=debtor[5],
            timezone=debtor[6],
            inconvenient_times=_json(debtor[7]),
        ),
        lender_profiles=tuple(_json(lender_profiles) or ()),
        lender_rules=rules,
        points=[
            PointFacts(
                p[0],
                p[1],
                ContactChannel(p[2]),
                p[3],
                ContactPointType(p[4]),
                ContactPointStatus(p[5]),
                p[6],
                _json(p[7]),
            )
            for p in points
        ],
        group=frozenset(str(g) for g in group) if group is not None else frozenset(),
        holds=tuple(
            HoldState(
                id=str(h[0]),
                type=h[1],
                debt_id=str(h[2]) if h[2] else None,
                channel=h[3],
                destination=h[4],
                starts_at=h[5],
                ends_at=h[6],
                released_at=h[7],
                opt_out_confirmations_used=h[8],
            )
            for h in holds
        ),
        consents=tuple(
            ConsentState(
                id=str(c[0]),
                type=c[1],
                channel=c[2],
                debt_id=str(c[3]) if c[3] else None,
                given_at=c[4],
                expires_at=c[5],
            )
            for c in consents
        ),
        history=_history(history),
    )
    return facts, tuple(row[_COLUMNS:])
