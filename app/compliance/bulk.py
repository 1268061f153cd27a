"""Set-based reads for the dialer's call list: plain tuples, one query per kind of fact.

On PostgreSQL the rows come straight from asyncpg (`= ANY($1::uuid[])`, no SQLAlchemy row
processing: a call list reads a few hundred thousand rows); on SQLite the same columns come
through SQLAlchemy Core in chunks. Both give the same shapes, plain strings for enums:

- debts: (id, lender_id, debtor_id, status, escalation_level, group_key, compliance_profiles,
  kind, country, subdivision, city, postal_code, timezone, inconvenient_times) — JSON as text
- points (active, of one channel): debtor_id → [(id, value, type, status, created_at,
  time_zones (JSON text))]
- history: debtor_id → [(occurred_at, channel, direction, outcome, debt_id, also_debt_ids (JSON
  text), to, destination_type, purpose, source, id)], oldest first
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import loader
from app.compliance.models import Consent, Hold
from app.contacts.models import Contact
from app.core.db import is_postgres
from app.core.pg import driver_connection
from app.debtors.models import ContactPoint, Debtor
from app.debts.models import Debt
from app.rules import ConsentState, HoldState

Row = tuple[Any, ...]

_PG_DEBTS = """
SELECT d.id, d.lender_id, d.debtor_id, d.status, d.escalation_level, d.group_key,
       d.compliance_profiles::text, r.kind, r.country, r.subdivision, r.city, r.postal_code,
       r.timezone, r.inconvenient_times::text
FROM debts d JOIN debtors r ON r.id = d.debtor_id
WHERE d.id = ANY($1::uuid[]) AND ($2::uuid[] IS NULL OR d.lender_id = ANY($2::uuid[]))
"""
_PG_POINTS = """
SELECT debtor_id, id, value, type, status, created_at, time_zones::text FROM contact_points
WHERE debtor_id = ANY($1::uuid[]) AND channel = $2 AND status = 'active'
"""
_PG_HISTORY = """
SELECT debtor_id, occurred_at, channel, direction, outcome, debt_id, also_debt_ids::text, "to",
       destination_type, purpose, source, id
FROM contacts
WHERE debtor_id = ANY($1::uuid[]) AND occurred_at > $2 AND occurred_at <= $3
ORDER BY debtor_id, occurred_at
"""
_PG_GROUPS = """
SELECT id, lender_id, group_key FROM debts
WHERE lender_id = ANY($1::uuid[]) AND group_key = ANY($2::text[])
"""
_PG_HOLDS = """
SELECT h.debtor_id, h.id, h.type, h.debt_id, h.channel, p.value, h.starts_at, h.ends_at,
       h.released_at, h.opt_out_confirmations_used
FROM holds h LEFT JOIN contact_points p ON p.id = h.contact_point_id
WHERE h.debtor_id = ANY($1::uuid[]) AND (h.released_at IS NULL OR h.released_at > $2)
ORDER BY h.starts_at, h.id
"""
_PG_CONSENTS = """
SELECT debtor_id, id, type, channel, debt_id, given_at, expires_at FROM consents
WHERE debtor_id = ANY($1::uuid[]) AND given_at <= $2
"""


def _v(value: Any) -> Any:
    """An enum member as its string (SQLite path); anything else as is."""
    return getattr(value, "value", value)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


async def debts(
    session: AsyncSession, debt_ids: Sequence[uuid.UUID], scope: frozenset[uuid.UUID] | None
) -> list[Row]:
    """The caller's debts among `debt_ids`, each with its debtor's columns."""
    if is_postgres(session):
        conn = await driver_connection(session)
        lenders = None if scope is None else list(scope)
        return list(await conn.fetch(_PG_DEBTS, list(debt_ids), lenders))
    found: list[Row] = []
    columns = (Debt.id, Debt.lender_id, Debt.debtor_id, Debt.status, Debt.escalation_level,
               Debt.group_key, Debt.compliance_profiles, Debtor.kind, Debtor.country,
               Debtor.subdivision, Debtor.city, Debtor.postal_code, Debtor.timezone,
               Debtor.inconvenient_times)  # fmt: skip
    for chunk in loader.chunks(list(debt_ids)):
        stmt = select(*columns).join(Debtor, Debtor.id == Debt.debtor_id).where(Debt.id.in_(chunk))
        if scope is not None:
            stmt = stmt.where(Debt.lender_id.in_(scope))
        for r in (await session.execute(stmt)).all():
            found.append((r[0], r[1], r[2], _v(r[3]), _v(r[4]), r[5], _json_text(r[6]),
                          _v(r[7]), r[8], r[9], r[10], r[11], r[12], _json_text(r[13])))  # fmt: skip
    return found


async def points(
    session: AsyncSession, debtor_ids: list[uuid.UUID], channel: str
) -> dict[uuid.UUID, list[Row]]:
    """Active contact points of `channel` ("phone", "email", "postal") per debtor."""
    found: dict[uuid.UUID, list[Row]] = defaultdict(list)
    if is_postgres(session):
        conn = await driver_connection(session)
        for r in await conn.fetch(_PG_POINTS, debtor_ids, channel):
            found[r[0]].append(r[1:])
        return found
    columns = (ContactPoint.debtor_id, ContactPoint.id, ContactPoint.value, ContactPoint.type,
               ContactPoint.status, ContactPoint.created_at, ContactPoint.time_zones)  # fmt: skip
    for chunk in loader.chunks(debtor_ids):
        stmt = select(*columns).where(
            ContactPoint.debtor_id.in_(chunk),
            ContactPoint.channel == channel,
            ContactPoint.status == "active",
        )
        for r in (await session.execute(stmt)).all():
            found[r[0]].append((r[1], r[2], _v(r[3]), _v(r[4]), r[5], _json_text(r[6])))
    return found


async def history(
    session: AsyncSession, debtor_ids: list[uuid.UUID], since: datetime, at: datetime
) -> dict[uuid.UUID, list[Row]]:
    """Contacts in (since, at] per debtor, oldest first."""
    found: dict[uuid.UUID, list[Row]] = defaultdict(list)
    if is_postgres(session):
        conn = await driver_connection(session)
        for r in await conn.fetch(_PG_HISTORY, debtor_ids, since, at):
            found[r[0]].append(r[1:])
        return found
    columns = (Contact.debtor_id, Contact.occurred_at, Contact.channel, Contact.direction,
               Contact.outcome, Contact.debt_id, Contact.also_debt_ids, Contact.to,
               Contact.destination_type, Contact.purpose, Contact.source, Contact.id)  # fmt: skip
    for chunk in loader.chunks(debtor_ids):
        stmt = select(*columns).where(
            Contact.debtor_id.in_(chunk),
            and_(Contact.occurred_at > since, Contact.occurred_at <= at),
        )
        for r in (await session.execute(stmt)).all():
            found[r[0]].append((r[1], _v(r[2]), _v(r[3]), _v(r[4]), r[5], _json_text(r[6]),
                                r[7], r[8], r[9], _v(r[10]), r[11]))  # fmt: skip
    for rows in found.values():
        rows.sort(key=lambda r: r[0])
    return found


async def groups(
    session: AsyncSession, keys: set[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], frozenset[str]]:
    """The member debt ids (as strings) of each (lender, group_key)."""
    if not keys:
        return {}
    members: dict[tuple[uuid.UUID, str], set[str]] = defaultdict(set)
    lender_ids = list({k[0] for k in keys})
    group_keys = list({k[1] for k in keys})
    if is_postgres(session):
        conn = await driver_connection(session)
        for r in await conn.fetch(_PG_GROUPS, lender_ids, group_keys):
            members[(r[1], r[2])].add(str(r[0]))
    else:
        for chunk in loader.chunks(group_keys):
            stmt = select(Debt.lender_id, Debt.group_key, Debt.id).where(
                Debt.lender_id.in_(lender_ids), Debt.group_key.in_(chunk)
            )
            for lender_id, group_key, debt_id in (await session.execute(stmt)).all():
                members[(lender_id, group_key or "")].add(str(debt_id))
    return {key: frozenset(members[key]) for key in keys}


def _hold(r: Row) -> HoldState:
    return HoldState(
        id=str(r[1]),
        type=_v(r[2]),
        debt_id=str(r[3]) if r[3] else None,
        channel=_v(r[4]) if r[4] else None,
        destination=r[5],
        starts_at=r[6],
        ends_at=r[7],
        released_at=r[8],
        opt_out_confirmations_used=r[9],
    )


def _consent(r: Row) -> ConsentState:
    return ConsentState(
        id=str(r[1]),
        type=_v(r[2]),
        channel=_v(r[3]) if r[3] else None,
        debt_id=str(r[4]) if r[4] else None,
        given_at=r[5],
        expires_at=r[6],
    )


async def holds_and_consents(
    session: AsyncSession, debtor_ids: list[uuid.UUID], at: datetime
) -> tuple[dict[uuid.UUID, tuple[HoldState, ...]], dict[uuid.UUID, tuple[ConsentState, ...]]]:
    """Holds not released by `at` and consents given by `at`, per debtor (as `load_facts`)."""
    holds: dict[uuid.UUID, list[HoldState]] = defaultdict(list)
    consents: dict[uuid.UUID, list[ConsentState]] = defaultdict(list)
    if is_postgres(session):
        conn = await driver_connection(session)
        for r in await conn.fetch(_PG_HOLDS, debtor_ids, at):
            holds[r[0]].append(_hold(r))
        for r in await conn.fetch(_PG_CONSENTS, debtor_ids, at):
            consents[r[0]].append(_consent(r))
    else:
        for chunk in loader.chunks(debtor_ids):
            stmt = (
                select(Hold.debtor_id, Hold.id, Hold.type, Hold.debt_id, Hold.channel,
                       ContactPoint.value, Hold.starts_at, Hold.ends_at, Hold.released_at,
                       Hold.opt_out_confirmations_used)  # fmt: skip
                .outerjoin(ContactPoint, ContactPoint.id == Hold.contact_point_id)
                .where(Hold.debtor_id.in_(chunk), or_(Hold.released_at.is_(None), Hold.released_at > at))
                .order_by(Hold.starts_at, Hold.id)
            )  # fmt: skip
            for r in (await session.execute(stmt)).all():
                holds[r[0]].append(_hold(tuple(r)))
            stmt2 = select(Consent.debtor_id, Consent.id, Consent.type, Consent.channel,
                           Consent.debt_id, Consent.given_at, Consent.expires_at).where(
                Consent.debtor_id.in_(chunk), Consent.given_at <= at
            )  # fmt: skip
            for r in (await session.execute(stmt2)).all():
                consents[r[0]].append(_consent(tuple(r)))
    return (
        {k: tuple(v) for k, v in holds.items()},
        {k: tuple(v) for k, v in consents.items()},
    )


# The call list on PostgreSQL: the debts grouped by the key of their shape, everything a decision
# depends on (but identity), as one text; debts with equal keys share one answer. The key holds raw
# columns, so equal keys mean equal facts: the lender, the debt's status, escalation and
# profiles, the debtor's kind, address, time zone and inconvenient times, the best active
# contact point of the channel (the dialer's order of `call_list.best_point`) by its stored time
# zones (by its value when none are stored: the rules see the value itself only through "to this
# destination?", which is in the key, and through holds naming it, whose debts are groups of
# their own), and every contact in the lender's horizon as (instant, channel, direction,
# outcome, purpose, destination type, source, about this debt?, to this destination?). A debt in
# a debt group, or whose debtor has a hold or a consent, has its id in its key. Grouped by that
# one text in byte order: sorting 100,000 rows by a dozen columns (jsonb, collated text) costs
# seconds; by one "C" text, tens of milliseconds.
_PG_SHAPES = """
WITH wanted AS NOT MATERIALIZED (
  SELECT d.id, d.lender_id, d.debtor_id, d.status, d.escalation_level, d.compliance_profiles,
         d.group_key, hz.since
  FROM debts d JOIN unnest($2::uuid[], $3::timestamptz[]) AS hz(lender_id, since)
       ON hz.lender_id = d.lender_id
  WHERE d.id = ANY($1::uuid[])
)
SELECT array_agg(id) FROM (
SELECT w.id, ROW(
  CASE WHEN w.group_key IS NOT NULL
         OR w.debtor_id IN (SELECT debtor_id FROM holds
                            WHERE released_at IS NULL OR released_at > $4)
         OR w.debtor_id IN (SELECT debtor_id FROM consents WHERE given_at <= $4)
       THEN w.id END,
  w.lender_id, w.status, w.escalation_level, w.compliance_profiles, r.kind, r.country,
  r.subdivision, r.city, r.postal_code, r.timezone, r.inconvenient_times,
  CASE WHEN b.time_zones IS NULL THEN b.value END, b.value IS NULL, b.time_zones, b.type,
  b.status, h.contacts
)::text AS shape
FROM wanted w JOIN debtors r ON r.id = w.debtor_id
LEFT JOIN LATERAL (
  SELECT p.value, p.type, p.status, p.time_zones FROM contact_points p
  WHERE p.debtor_id = w.debtor_id AND p.channel = $5 AND p.status = 'active'
  ORDER BY CASE p.type WHEN 'cell' THEN 0 WHEN 'personal' THEN 1 WHEN 'home' THEN 2
                       WHEN 'other' THEN 3 WHEN 'work' THEN 4 ELSE 9 END,
           p.created_at, p.id
  LIMIT 1
) b ON true
LEFT JOIN LATERAL (
  -- `format` writes NULL as an empty string; no value holds `|` or `;`.
  SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s', c.occurred_at, c.channel, c.direction,
                           c.outcome, c.purpose, c.destination_type, c.source,
                           c.debt_id = w.id OR c.also_debt_ids ? w.id::text,
                           c."to" IS NOT DISTINCT FROM b.value),
                    ';' ORDER BY c.occurred_at, c.id) AS contacts
  FROM contacts c
  WHERE c.debtor_id = w.debtor_id AND c.occurred_at > w.since AND c.occurred_at <= $4
) h ON true
) keyed GROUP BY shape COLLATE "C"
"""


_PARALLEL_FROM = 10_000  # debts from which `shapes` lets parallel workers read


async def shapes(
    session: AsyncSession,
    debt_ids: list[uuid.UUID],
    since: dict[uuid.UUID, datetime],
    at: datetime,
    point_channel: str,
) -> list[list[uuid.UUID]]:
    """PostgreSQL only: the debts among `debt_ids` of the lenders in `since`, grouped by shape."""
    # No JIT compilation (seconds for one large statement); a long list's debts may be read by
    # parallel workers (starting them costs more than a short list takes). Through the session,
    # whose transaction begins with it: the settings stay local to the transaction.
    await session.execute(
        text(
            "SELECT set_config('jit', 'off', true), "
            "set_config('max_parallel_workers_per_gather', :parallel, true), "
            "set_config('parallel_setup_cost', '0', true), "
            "set_config('parallel_tuple_cost', '0', true)"
        ),
        {"parallel": "2" if len(debt_ids) >= _PARALLEL_FROM else "0"},
    )
    conn = await driver_connection(session)
    lenders = list(since)
    rows = await conn.fetch(
        _PG_SHAPES, debt_ids, lenders, [since[lid] for lid in lenders], at, point_channel
    )
    return [row[0] for row in rows]
