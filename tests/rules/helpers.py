"""Builders for rules-engine tests: plain values, no database, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import count
from typing import Any

from app.rules import (
    Address,
    ConsentState,
    Decision,
    EvaluationContext,
    HistoryContact,
    HoldState,
    evaluate,
)

_ids = count(1)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)

NY = Address("US", "NY", "Albany", "12207")
NYC = Address("US", "NY", "Brooklyn", "11201")
MA = Address("US", "MA", "Boston", "02110")
WA = Address("US", "WA", "Seattle", "98101")
ID = Address("US", "ID", "Boise", "83702")
CA = Address("US", "CA", "Los Angeles", "90012")
NSW = Address("AU", "NSW", "Sydney", "2000")
GB = Address("GB", None, "London", "EC1A 1BB")
IN = Address("IN", "MH", "Mumbai", "400001")
CN = Address("CN", "SH", "Shanghai", "200000")
FR = Address("FR", None, "Paris", "75001")

NY_CELL = "+15185550100"  # Albany: America/New_York
NY_WORK = "+15185550199"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ctx(at: datetime, **fields: Any) -> EvaluationContext:
    """A phone call to a New York debtor's cell about debt d1, unless told otherwise."""
    defaults: dict[str, Any] = {
        "debt_id": "d1",
        "channel": "phone",
        "address": NY,
        "destination": NY_CELL,
        "destination_type": "cell",
        "destination_status": "active",
    }
    defaults.update(fields)
    return EvaluationContext(at=at, **defaults)


def contact(
    at: datetime,
    outcome: str = "no_answer",
    *,
    channel: str = "phone",
    direction: str = "outbound",
    debts: tuple[str, ...] = ("d1",),
    to: str | None = NY_CELL,
    to_type: str | None = "cell",
    purpose: str = "collection",
) -> HistoryContact:
    """One past contact."""
    source = "inbound" if direction == "inbound" else "live"
    return HistoryContact(f"c{next(_ids)}", at, channel, direction, outcome, frozenset(debts),
                          to, to_type, purpose, source)  # fmt: skip


def hold(
    type_: str,
    *,
    starts: datetime = LONG_AGO,
    ends: datetime | None = None,
    debt: str | None = None,
    channel: str | None = None,
    to: str | None = None,
    released: datetime | None = None,
    confirmations: int = 0,
) -> HoldState:
    """A hold, in force since 2020 unless told otherwise."""
    return HoldState(f"h{next(_ids)}", type_, debt, channel, to, starts, ends, released,
                     confirmations)  # fmt: skip


def consent(
    given: datetime,
    type_: str = "direct_prior_consent",
    *,
    channel: str | None = "phone",
    debt: str | None = "d1",
    expires: datetime | None = None,
) -> ConsentState:
    """A consent."""
    return ConsentState(f"k{next(_ids)}", type_, channel, debt, given, expires)


def codes(decision: Decision) -> list[str]:
    """The reason codes of a decision, in order."""
    return [reason.code for reason in decision.reasons]


def warning_codes(decision: Decision) -> list[str]:
    """The warning codes of a decision, in order."""
    return [warning.code for warning in decision.warnings]


def clears(decision: Decision, code: str) -> datetime | None:
    """The clears_at of one reason."""
    return next(reason.clears_at for reason in decision.reasons if reason.code == code)


def at(context: EvaluationContext, instant: datetime) -> Decision:
    """Evaluate the same request, with the same state, at another instant."""
    return evaluate(replace(context, at=instant))
