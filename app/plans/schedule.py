"""Plan terms: validating what was asked for and generating exact schedules. Pure — no session.

Generated schedules sum exactly to the total, the remainder of the even split on the last
installment. Monthly dates are computed from the first due date's day of the month (31 Jan →
28/29 Feb → 31 Mar), never from the previous installment, so one short month does not shift the
rest of the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from app.core.errors import InvalidInput
from app.plans.models import Frequency, PlanKind

MAX_INSTALLMENTS = 360
LAST_DUE_DATE = date(2200, 12, 31)


@dataclass(frozen=True)
class TermsRequest:
    """What a caller asked for, before validation against the debt."""

    kind: PlanKind
    total_minor: int | None = None
    installment_count: int | None = None
    frequency: Frequency | None = None
    first_due_date: date | None = None
    schedule: list[tuple[date, int]] | None = None
    grace_days: int = 3
    # Where each field sits in the caller's body, for 422 pointers.
    pointers: dict[str, str] = field(default_factory=dict)

    def pointer(self, name: str) -> str:
        return self.pointers.get(name, f"#/{name}")


@dataclass(frozen=True)
class Terms:
    kind: PlanKind
    total_minor: int
    frequency: Frequency | None
    grace_days: int
    installments: list[tuple[date, int]]


def due_dates(first: date, count: int, frequency: Frequency) -> list[date]:
    """`count` due dates from `first`; monthly ones clamp to the end of shorter months."""
    if frequency is Frequency.MONTHLY:
        return [first + relativedelta(months=i) for i in range(count)]
    step = timedelta(days=7 if frequency is Frequency.WEEKLY else 14)
    return [first + step * i for i in range(count)]


def split(total: int, count: int) -> list[int]:
    """Equal parts of `total` in minor units, the remainder on the last."""
    base = total // count
    return [base] * (count - 1) + [total - base * (count - 1)]


def breaks_on(due_date: date, grace_days: int) -> date:
    """The first lender-local date on which an installment still unpaid breaks its plan."""
    return due_date + timedelta(days=grace_days + 1)


def build_terms(request: TermsRequest, *, owed_minor: int, today: date) -> Terms:
    """Validate the request against what is owed and the lender's today; 422 with a pointer."""
    total = _total(request, owed_minor)
    installments = _installments(request, total)
    first_due = installments[0][0]
    if first_due < today:
        pointer = "#/schedule/0/due_date" if request.schedule else request.pointer("first_due_date")
        raise InvalidInput(pointer, f"The first due date may not be before today ({today}).")
    if installments[-1][0] > LAST_DUE_DATE:
        raise InvalidInput(request.pointer("installment_count"), "The schedule ends too late.")
    if request.kind is PlanKind.PROMISE and len(installments) != 1:
        raise InvalidInput(
            request.pointer("schedule" if request.schedule else "installment_count"),
            "A promise to pay is one amount on one date.",
        )
    frequency = request.frequency if len(installments) > 1 else None
    return Terms(request.kind, total, frequency, request.grace_days, installments)


def _total(request: TermsRequest, owed: int) -> int:
    pointer = request.pointer("total_minor")
    total = request.total_minor
    if total is None and request.schedule:
        total = sum(amount for _, amount in request.schedule)
    if request.kind is PlanKind.SETTLEMENT:
        if total is None:
            raise InvalidInput(pointer, "A settlement needs a total below the amount owed.")
        if total >= owed:
            raise InvalidInput(pointer, f"A settlement total must be below the {owed} owed.")
        return total
    total = owed if total is None else total
    if request.kind is PlanKind.INSTALLMENT and total != owed:
        raise InvalidInput(pointer, f"An installment plan's total is the {owed} owed.")
    if total > owed:
        raise InvalidInput(pointer, f"A promise may not exceed the {owed} owed.")
    if total <= 0:
        raise InvalidInput(pointer, "The total must be positive.")
    return total


def _installments(request: TermsRequest, total: int) -> list[tuple[date, int]]:
    if request.schedule:
        return _explicit(request, total)
    if request.first_due_date is None:
        raise InvalidInput(request.pointer("first_due_date"), "Give first_due_date or schedule.")
    count = request.installment_count or 1
    if count > 1 and request.frequency is None:
        raise InvalidInput(request.pointer("frequency"), "Give the frequency of installments.")
    if count > total:
        raise InvalidInput(request.pointer("installment_count"), "More installments than units.")
    dates = due_dates(request.first_due_date, count, request.frequency or Frequency.MONTHLY)
    return list(zip(dates, split(total, count), strict=True))


def _explicit(request: TermsRequest, total: int) -> list[tuple[date, int]]:
    schedule = request.schedule or []
    if request.first_due_date is not None or request.frequency is not None:
        name = "first_due_date" if request.first_due_date is not None else "frequency"
        raise InvalidInput(request.pointer(name), "Give either a schedule or how to generate one.")
    if request.installment_count is not None and request.installment_count != len(schedule):
        raise InvalidInput(
            request.pointer("installment_count"), "installment_count must match the schedule."
        )
    for index in range(1, len(schedule)):
        if schedule[index][0] <= schedule[index - 1][0]:
            raise InvalidInput(
                f"#/schedule/{index}/due_date", "Due dates must be strictly increasing."
            )
    if sum(amount for _, amount in schedule) != total:
        raise InvalidInput(request.pointer("schedule"), f"The amounts must sum to {total}.")
    return list(schedule)
