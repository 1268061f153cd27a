"""The dialer's call list: many debts, one channel, one instant, decided exactly as `evaluate` would.

Facts come from `bulk` as plain rows. A debt whose debtor has no hold and no consent is decided
once per *shape*: everything the engine's answer depends on except identity — the applicable
profiles, the zones (address, time zone, the number's zones), the lender's rules, status and
escalation, the destination's type and status, the inconvenient times, and each contact in the
horizon as (instant, channel, direction, outcome, purpose, destination type, source, whether it
is about the debt's group, whether it went to this destination). Without holds and consents the
engine looks at ids only through those two last questions, so debts of one shape share one
answer. Debts with holds or consents (their ids reach the reasons) are evaluated one by one.

Shapes whose plans no rule can tell apart share the engine's verdict as well (`verdict_key`:
histories that differ only in contacts no cap or cool-down can count up to its maximum). The
number's zones are the ones stored with its contact point. The response is written straight
from the shared answers (`CallableResult.to_json`).
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import bulk, loader
from app.compliance.schemas import ReasonOut
from app.core.db import is_postgres
from app.core.errors import InvalidInput
from app.core.schemas import ResponseModel
from app.rules import (
    Address,
    ConsentState,
    Decision,
    EvaluationContext,
    HistoryContact,
    HoldState,
    InconvenientTime,
    LenderRule,
    evaluate,
)
from app.rules.engine import Verdict, verdict
from app.rules.selection import applicable_profiles
from app.rules.zones import base_zones

_NO_IDS = "[]"


class _Tail(ResponseModel):
    """A blocked debt's answer: `BlockedDebt` without its id (same fields, same order)."""

    reasons: list[ReasonOut]
    next_allowed_at: datetime | None


_TAIL = TypeAdapter(_Tail)
_INSTANT = TypeAdapter(datetime)


class _Answer:
    """One decision, shared by every debt of its shape; its JSON is written once."""

    __slots__ = ("allowed", "next_allowed_at", "reasons", "_json")

    def __init__(
        self, allowed: bool, reasons: list[ReasonOut], next_allowed_at: datetime | None
    ) -> None:
        self.allowed, self.reasons, self.next_allowed_at = allowed, reasons, next_allowed_at
        self._json: bytes | None = None

    def json_tail(self) -> bytes:
        """`"reasons":[...],"next_allowed_at":...` exactly as `BlockedDebt` serialises them."""
        if self._json is None:
            tail = _Tail(reasons=self.reasons, next_allowed_at=self.next_allowed_at)
            self._json = _TAIL.dump_json(tail)[1:-1]
        return self._json


class Blocked(NamedTuple):
    debt_id: uuid.UUID
    answer: _Answer

    @property
    def reasons(self) -> list[ReasonOut]:
        return self.answer.reasons

    @property
    def next_allowed_at(self) -> datetime | None:
        return self.answer.next_allowed_at


@dataclass
class CallableResult:
    allowed: list[uuid.UUID]
    blocked: list[Blocked]

    def to_json(self, evaluated_at: datetime) -> bytes:
        """The `CallableResponse` body, written straight from the shared answers: a list of
        100,000 debts would otherwise build and serialise 100,000 models."""
        allowed = ",".join(f'"{debt_id}"' for debt_id in self.allowed).encode()
        blocked = b",".join(
            b'{"debt_id":"%s",%s}' % (str(item.debt_id).encode(), item.answer.json_tail())
            for item in self.blocked
        )
        return b'{"allowed":[%s],"blocked":[%s],"evaluated_at":%s}' % (
            allowed,
            blocked,
            _INSTANT.dump_json(evaluated_at),
        )


def run_engine(ctx: EvaluationContext) -> Decision:
    """The engine's decision; a stored configuration it rejects is the caller's input error."""
    try:
        return evaluate(ctx)
    except ValueError as exc:  # e.g. an unknown profile code stored before validation existed
        raise InvalidInput("#", f"The debt's compliance configuration is invalid: {exc}") from None


def _decide(
    ctx: EvaluationContext,
    memo: dict[Hashable, Verdict] | None = None,
    answers: dict[Verdict, _Answer] | None = None,
) -> _Answer:
    """The engine's verdict; a stored configuration it rejects is the caller's input error.

    `answers` keeps one `_Answer` per verdict, so each distinct answer's JSON is written once."""
    try:
        found = verdict(ctx, memo)
    except ValueError as exc:  # e.g. an unknown profile code stored before validation existed
        raise InvalidInput("#", f"The debt's compliance configuration is invalid: {exc}") from None
    if answers is not None and (known := answers.get(found)) is not None:
        return known
    reasons, next_at = found
    answer = _Answer(
        not reasons,
        [ReasonOut(code=r.code, message=r.message, clears_at=r.clears_at) for r in reasons],
        next_at,
    )
    if answers is not None:
        answers[found] = answer
    return answer


def best_point(points: Sequence[Any] | None) -> Any:
    """(id, value, type, status, created_at, time_zones) of the dialer's choice, as
    `loader.best_destination`."""
    if not points:
        return None
    return min(points, key=lambda p: (loader.TYPE_PREFERENCE.get(p[2], 9), p[4], p[0]))


@lru_cache(maxsize=1024)
def _json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


@lru_cache(maxsize=1024)
def _inconvenient(text: str | None) -> tuple[InconvenientTime, ...]:
    return tuple(
        InconvenientTime(
            tuple(t["days"]), time.fromisoformat(t["from"]), time.fromisoformat(t["to"])
        )  # fmt: skip
        for t in _json(text) or ()
    )


@lru_cache(maxsize=4096)
def _profiles(debt_profiles: str | None, lender_profiles: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*(_json(debt_profiles) or ()), *lender_profiles]))


@lru_cache(maxsize=65536)
def _address(country: str | None, subdivision: str | None, city: str | None,
             postal_code: str | None) -> Address | None:  # fmt: skip
    return Address(country, subdivision, city, postal_code) if country else None


@lru_cache(maxsize=4096)
def _zones(text: str | None) -> tuple[str, ...] | None:
    """A contact point's stored time zones; None when not stored (found from the number)."""
    return None if text is None else tuple(orjson.loads(text))


def _debt_ids(h: Any) -> frozenset[str]:
    return frozenset([str(h[4]), *(_json(h[5]) or ())])


class CallList:
    """One request's facts and its per-shape memo."""

    def __init__(self, *, at: datetime, channel: str, purpose: str) -> None:
        self.at, self.channel, self.purpose = at, channel, purpose
        self.lenders: dict[uuid.UUID, tuple[tuple[str, ...], tuple[LenderRule, ...]]] = {}
        self.since: dict[uuid.UUID, datetime] = {}
        self.points: dict[uuid.UUID, list[Any]] = {}
        self.history: dict[uuid.UUID, list[Any]] = {}
        self.groups: dict[tuple[uuid.UUID, str], frozenset[str]] = {}
        self.holds: dict[uuid.UUID, tuple[HoldState, ...]] = {}
        self.consents: dict[uuid.UUID, tuple[ConsentState, ...]] = {}
        self.memo: dict[tuple[Any, ...], _Answer] = {}
        self.verdicts: dict[Hashable, Verdict] = {}  # the engine's own memo (`verdict_key`)
        self.answers: dict[Verdict, _Answer] = {}
        self.oldest: datetime = at

    def _history(self, debt: Any) -> list[Any]:
        rows = self.history.get(debt[2]) or []
        since = self.since[debt[1]]
        if rows and since > self.oldest:  # the debt's lender needs less history than the list
            rows = [h for h in rows if h[0] > since]
        return rows

    def _group(self, debt: Any) -> frozenset[str]:
        return self.groups[(debt[1], debt[5])] if debt[5] else frozenset()

    def context(self, debt: Any, point: Any) -> EvaluationContext:
        """Exactly what `loader.build_context` builds for this debt and destination."""
        profiles, rules = self.lenders[debt[1]]
        return EvaluationContext(
            at=self.at, debt_id=str(debt[0]), debt_status=debt[3], escalation_level=debt[4],
            group_debt_ids=self._group(debt), debtor_kind=debt[7],
            address=_address(debt[8], debt[9], debt[10], debt[11]), debtor_timezone=debt[12],
            inconvenient_times=_inconvenient(debt[13]), channel=self.channel, purpose=self.purpose,
            destination=point[1] if point else None, destination_type=point[2] if point else None,
            destination_status=point[3] if point else None,
            destination_zones=_zones(point[5]) if point else None,
            profiles=_profiles(debt[6], profiles), lender_rules=rules,
            holds=self.holds.get(debt[2], ()), consents=self.consents.get(debt[2], ()),
            history=tuple(
                HistoryContact(id=str(h[10]), occurred_at=h[0], channel=h[1], direction=h[2],
                               outcome=h[3], debt_ids=_debt_ids(h), destination=h[6],
                               destination_type=h[7], purpose=h[8], source=h[9])
                for h in self._history(debt)
            ),
        )  # fmt: skip

    def _shape(self, debt: Any, point: Any) -> tuple[Any, ...] | None:
        """Everything the answer depends on but identity; None when ids matter (holds, consents)."""
        if debt[2] in self.holds or debt[2] in self.consents:
            return None
        profiles, _ = self.lenders[debt[1]]
        address = _address(debt[8], debt[9], debt[10], debt[11])
        try:
            codes = applicable_profiles(debt[7], address, _profiles(debt[6], profiles))
        except ValueError:
            return None  # the engine reports it, one by one
        value = point[1] if point else None
        zones = base_zones(
            debt[12], address, self.channel, value, _zones(point[5]) if point else None
        )
        group = self._group(debt)
        debt_id = debt[0]
        contacts = tuple(
            (h[0], h[1], h[2], h[3], h[8], h[7], h[9],
             h[4] == debt_id if h[5] == _NO_IDS and not group
             else not _debt_ids(h).isdisjoint(group | {str(debt_id)}),
             h[6] == value)
            for h in self._history(debt)
        )  # fmt: skip
        country = debt[8].upper() if debt[8] else None
        return (debt[1], codes, zones, country, debt[3], debt[4], debt[13], value is not None,
                point[2] if point else None, point[3] if point else None, contacts)  # fmt: skip

    def decide(self, debt: Any, point: Any) -> _Answer:
        shape = self._shape(debt, point)
        if shape is None:
            return _decide(self.context(debt, point))
        found = self.memo.get(shape)
        if found is None:
            context = self.context(debt, point)
            found = self.memo[shape] = _decide(context, self.verdicts, self.answers)
        return found


async def callable_debts(
    session: AsyncSession,
    debt_ids: Sequence[uuid.UUID],
    *,
    scope: frozenset[uuid.UUID] | None,
    channel: str,
    at: datetime,
    purpose: str,
) -> CallableResult:
    """Which of these debts may be contacted on `channel` at `at`, through each debt's best destination."""
    wanted = list(dict.fromkeys(debt_ids))
    if is_postgres(session):
        answers = await _answers_by_shape(session, wanted, scope, channel, at, purpose)
    else:
        answers = await _answers(session, wanted, scope, channel, at, purpose)
    allowed: list[uuid.UUID] = []
    blocked: list[Blocked] = []
    for debt_id in wanted:
        answer = answers.get(debt_id)
        if answer is None:
            continue  # not the caller's: silently absent, as in every list
        if answer.allowed:
            allowed.append(debt_id)
        else:
            blocked.append(Blocked(debt_id, answer))
    return CallableResult(allowed, blocked)


async def _answers_by_shape(
    session: AsyncSession, wanted: list[uuid.UUID], scope: frozenset[uuid.UUID] | None,
    channel: str, at: datetime, purpose: str,
) -> dict[uuid.UUID, _Answer]:  # fmt: skip
    """PostgreSQL: group the debts by shape in SQL, decide one debt per group."""
    lenders = await loader.load_lenders(session, scope)
    since = {lid: at - loader.rules_horizon(rules, at) for lid, (_, rules) in lenders.items()}
    groups = await bulk.shapes(session, wanted, since, at, loader.POINT_CHANNEL[channel])
    decided = await _answers(session, [g[0] for g in groups], scope, channel, at, purpose)
    answers: dict[uuid.UUID, _Answer] = {}
    for group in groups:
        answer = decided.get(group[0])
        if answer is not None:
            answers.update(dict.fromkeys(group, answer))
    return answers


async def _answers(
    session: AsyncSession, wanted: list[uuid.UUID], scope: frozenset[uuid.UUID] | None,
    channel: str, at: datetime, purpose: str,
) -> dict[uuid.UUID, _Answer]:  # fmt: skip
    """Each of the caller's debts among `wanted` with its answer, decided from its own facts."""
    rows = await bulk.debts(session, wanted, scope)
    if not rows:
        return {}
    plan = CallList(at=at, channel=channel, purpose=purpose)
    await _load(session, plan, rows)
    no_destination = _Answer(False, [ReasonOut(code="NO_ACTIVE_DESTINATION",
                             message=f"No active contact point for {channel}.", clears_at=None)],
                             None)  # fmt: skip
    answers: dict[uuid.UUID, _Answer] = {}
    for debt in rows:
        point = best_point(plan.points.get(debt[2]))
        if point is None and channel in loader.NEEDS_DESTINATION:
            answers[debt[0]] = no_destination
        else:
            answers[debt[0]] = plan.decide(debt, point)
    return answers


async def _load(session: AsyncSession, plan: CallList, rows: list[Any]) -> None:
    at = plan.at
    plan.lenders = await loader.load_lenders(session, {row[1] for row in rows})
    plan.since = {
        lid: at - loader.rules_horizon(rules, at) for lid, (_, rules) in plan.lenders.items()
    }
    plan.oldest = min(plan.since.values())
    debtor_ids = list({row[2] for row in rows})
    plan.points = await bulk.points(session, debtor_ids, loader.POINT_CHANNEL[plan.channel])
    if (
        plan.channel in loader.NEEDS_DESTINATION
    ):  # without a destination the answer needs no history
        debtor_ids = [d for d in debtor_ids if d in plan.points]
    plan.groups = await bulk.groups(session, {(row[1], row[5]) for row in rows if row[5]})
    plan.holds, plan.consents = await bulk.holds_and_consents(session, debtor_ids, at)
    plan.history = await bulk.history(session, debtor_ids, plan.oldest, at)
