"""Cool-downs and frequency caps: counted events in a calendar-day or rolling-hour window."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.rules.decision import Reason, rfc3339
from app.rules.localtime import ONE_DAY, local_midnight
from app.rules.plan import LimitCheck, Moment


@dataclass(frozen=True, slots=True)
class Count:
    """Events in the window at one instant, and when the surplus leaves it."""

    count: int
    start: datetime
    end: datetime
    clears_at: datetime | None


def count_window(check: LimitCheck, at: datetime) -> Count:
    """Count the events in the window ending at `at`.

    Calendar windows hold the local dates [D-(n-1), D]; rolling windows the instants (at-n h, at].
    Events are never later than the request, so only the start bound matters.
    """
    limit, events, zone = check.limit, check.events, check.zone
    if limit.unit == "calendar_days":
        today = at.astimezone(zone).date()
        start = local_midnight(today - (limit.length - 1) * ONE_DAY, zone)
        end = local_midnight(today + ONE_DAY, zone)
        first = bisect_left(events, start)
    else:
        start, end = at - timedelta(hours=limit.length), at
        first = bisect_right(events, start)
    count = len(events) - first
    clears = None
    if count >= limit.max:
        # Below the cap again once the oldest surplus event has left the window.
        oldest = events[first + count - limit.max]
        if limit.unit == "calendar_days":
            leaving = oldest.astimezone(zone).date() + limit.length * ONE_DAY
            clears = local_midnight(leaving, zone)
        else:
            clears = oldest + timedelta(hours=limit.length)
    return Count(count, start, end, clears)


def _record(moment: Moment, check: LimitCheck, found: Count) -> None:
    moment.counters[check.limit.code] = {
        "kind": check.limit.kind,
        "count": found.count,
        "max": check.limit.max,
        "window_start": rfc3339(found.start),
        "window_end": rfc3339(found.end),
        "zone": check.zone.key,
    }


def _limits(moment: Moment, kind: str) -> Iterator[Reason]:
    for check in moment.plan.limits:
        limit = check.limit
        if limit.kind != kind:
            continue
        found = count_window(check, moment.at)
        if moment.record:
            _record(moment, check, found)
        if found.count < limit.max:
            continue
        if limit.consent_exempt and moment.covered_by_consent():
            continue
        if kind == "cooldown":
            message = f"{limit.code}: a triggering contact within the last {_span(check)}"
        else:
            message = f"{limit.code}: {found.count} of {limit.max} counted in {_span(check)}"
        yield Reason(limit.code, message, found.clears_at)


def _span(check: LimitCheck) -> str:
    unit = "calendar days" if check.limit.unit == "calendar_days" else "hours"
    return f"{check.limit.length} {unit}"


def cooldowns(moment: Moment) -> Iterator[Reason]:
    """No contact while a conversation (or a lender's trigger) is within its cool-down."""
    return _limits(moment, "cooldown")


def caps(moment: Moment) -> Iterator[Reason]:
    """A cap of N blocks when its window already holds N counted events."""
    return _limits(moment, "cap")
