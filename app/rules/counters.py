"""Cool-downs and frequency caps: counted events in a calendar-day or rolling-hour window."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.rules.decision import Reason, rfc3339
from app.rules.localtime import ONE_DAY, local_midnight
from app.rules.plan import LimitCheck, Moment


def count_window(check: LimitCheck, moment: Moment) -> tuple[int, datetime | None]:
    """Count the events in the window ending at the moment, and when the surplus leaves it.

    Calendar windows hold the local dates [D-(n-1), D]; rolling windows the instants (at-n h, at].
    Events are never later than the request, so only the start bound matters.
    """
    limit, events, zone = check.limit, check.events, check.zone
    if not events:
        return 0, None
    if limit.unit == "calendar_days":
        today = moment.local(zone).date()
        first = bisect_left(events, local_midnight(today - (limit.length - 1) * ONE_DAY, zone))
    else:
        first = bisect_right(events, moment.at - timedelta(hours=limit.length))
    count = len(events) - first
    if count < limit.max:
        return count, None
    # Below the cap again once the oldest surplus event has left the window.
    oldest = events[first + count - limit.max]
    if limit.unit == "calendar_days":
        leaving = oldest.astimezone(zone).date() + limit.length * ONE_DAY
        return count, local_midnight(leaving, zone)
    return count, oldest + timedelta(hours=limit.length)


@lru_cache(maxsize=65536)
def _calendar_bounds(today: date, length: int, zone: ZoneInfo) -> tuple[str, str]:
    start = local_midnight(today - (length - 1) * ONE_DAY, zone)
    return rfc3339(start), rfc3339(local_midnight(today + ONE_DAY, zone))


def window_bounds(check: LimitCheck, moment: Moment) -> tuple[str, str]:
    """The counting window at the moment, [start, end), as RFC 3339 instants."""
    limit = check.limit
    if limit.unit == "calendar_days":
        return _calendar_bounds(moment.local(check.zone).date(), limit.length, check.zone)
    return rfc3339(moment.at - timedelta(hours=limit.length)), rfc3339(moment.at)


def _record(moment: Moment, check: LimitCheck, count: int) -> None:
    start, end = window_bounds(check, moment)
    moment.counters[check.limit.code] = {
        "kind": check.limit.kind,
        "count": count,
        "max": check.limit.max,
        "window_start": start,
        "window_end": end,
        "zone": check.zone.key,
    }


def _limits(moment: Moment, kind: str) -> Iterator[Reason]:
    for check in moment.plan.limits:
        limit = check.limit
        if limit.kind != kind:
            continue
        count, clears_at = count_window(check, moment)
        if moment.record:
            _record(moment, check, count)
        if count < limit.max:
            continue
        if limit.consent_exempt and moment.covered_by_consent():
            continue
        if kind == "cooldown":
            message = f"{limit.code}: a triggering contact within the last {_span(check)}"
        else:
            message = f"{limit.code}: {count} of {limit.max} counted in {_span(check)}"
        yield Reason(limit.code, message, clears_at)


def _span(check: LimitCheck) -> str:
    unit = "calendar days" if check.limit.unit == "calendar_days" else "hours"
    return f"{check.limit.length} {unit}"


def cooldowns(moment: Moment) -> Iterator[Reason]:
    """No contact while a conversation (or a lender's trigger) is within its cool-down."""
    return _limits(moment, "cooldown")


def caps(moment: Moment) -> Iterator[Reason]:
    """A cap of N blocks when its window already holds N counted events."""
    return _limits(moment, "cap")
