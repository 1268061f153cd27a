"""Days past due and buckets, counted in the lender's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

BUCKETS: dict[str, tuple[int | None, int | None]] = {
    "current": (None, 0),
    "1-30": (1, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "91-180": (91, 180),
    "181+": (181, None),
}


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(_zone(timezone)).date()


def dpd(due_date: date, today: date) -> int:
    return (today - due_date).days


def bucket(days: int) -> str:
    for name, (low, high) in BUCKETS.items():
        if (low is None or days >= low) and (high is None or days <= high):
            return name
    raise AssertionError(days)


def due_date_range(
    today: date, min_dpd: int | None, max_dpd: int | None
) -> tuple[date | None, date | None]:
    """The due dates whose DPD lies in [min_dpd, max_dpd], as (earliest, latest)."""
    latest = today - timedelta(days=min_dpd) if min_dpd is not None else None
    earliest = today - timedelta(days=max_dpd) if max_dpd is not None else None
    return earliest, latest
