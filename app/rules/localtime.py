"""Local dates and wall-clock instants (zoneinfo only, DST-correct) and cached holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
MINUTES_PER_DAY = 1440


def wall_instant(day: date, minute: int, zone: ZoneInfo, fold: int = 0) -> datetime:
    """The UTC instant of local wall time `minute` after midnight on `day` (1440 = next 00:00).

    A wall time skipped by a DST change resolves to the same distance after the change; one
    repeated by it resolves to its first occurrence unless `fold` is 1.
    """
    if minute >= MINUTES_PER_DAY:
        day, minute = day + ONE_DAY, minute - MINUTES_PER_DAY
    local = datetime(
        day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone, fold=fold
    )
    return local.astimezone(UTC)


def wall_instant_after(day: date, minute: int, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first occurrence of a local wall time that lies after `after`, if any."""
    for fold in (0, 1):
        instant = wall_instant(day, minute, zone, fold)
        if instant > after:
            return instant
    return None


@lru_cache(maxsize=65536)
def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` starts in `zone`."""
    return wall_instant(day, 0, zone)


def ceil_minute(instant: datetime) -> datetime:
    """The instant rounded up to a whole minute."""
    if instant.second or instant.microsecond:
        return instant.replace(second=0, microsecond=0) + ONE_MINUTE
    return instant


@lru_cache(maxsize=2048)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of a country (and subdivision) in one year; empty when unsupported."""
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(calendar.keys())


def is_holiday(country: str, day: date, subdivision: str | None = None) -> bool:
    """Whether `day` is a public holiday of the country."""
    return day in holiday_dates(country.upper(), subdivision, day.year)
