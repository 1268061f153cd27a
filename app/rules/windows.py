"""Time rules: permitted hours and public holidays per zone, debtor-designated inconvenient times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.rules.decision import Reason
from app.rules.localtime import ONE_DAY, is_holiday, wall_instant_after
from app.rules.plan import Moment, WindowCheck
from app.rules.specs import WEEKDAYS

# Long enough for the longest run of closed days plus holidays; then we call it never.
MAX_SCAN_DAYS = 32
MAX_ALIGN_STEPS = 64


def _minute(local: datetime) -> int:
    return local.hour * 60 + local.minute


def _closed_on(check: WindowCheck, local: datetime) -> bool:
    country = check.holiday_country
    return country is not None and is_holiday(country, local.date())


def _within_hours(check: WindowCheck, local: datetime) -> bool:
    hours = check.window.weekly[local.weekday()]
    return hours is not None and hours.start <= _minute(local) < hours.end


def _next_open_in_zone(check: WindowCheck, zone: ZoneInfo, at: datetime) -> datetime | None:
    """The earliest instant ≥ `at` at which the window is open in one zone."""
    local = at.astimezone(zone)
    today, minute = local.date(), _minute(local)
    for offset in range(MAX_SCAN_DAYS):
        day = today + timedelta(days=offset)
        hours = check.window.weekly[day.weekday()]
        if hours is None or (check.holiday_country and is_holiday(check.holiday_country, day)):
            continue
        if offset == 0:
            if minute >= hours.end:
                continue
            if minute >= hours.start:
                return at
        opens = wall_instant_after(day, hours.start, zone, at)
        if opens is not None:
            return opens
    return None


@lru_cache(maxsize=8192)
def next_open(check: WindowCheck, at: datetime) -> datetime | None:
    """The earliest instant ≥ `at` at which the window is open in every zone at once."""
    candidate = at
    for _ in range(MAX_ALIGN_STEPS):
        latest = candidate
        for zone in check.zones:
            opens = _next_open_in_zone(check, zone, candidate)
            if opens is None:
                return None
            latest = max(latest, opens)
        if latest == candidate:
            return candidate
        candidate = latest
    return None


def _lifted(moment: Moment, consent_type: str) -> bool:
    """Whether an active consent of this type lifts the window (China's night hours)."""
    ctx = moment.plan.ctx
    return any(
        consent.type == consent_type
        and consent.given_at <= ctx.at
        and (consent.expires_at is None or moment.at < consent.expires_at)
        and (consent.channel is None or consent.channel == ctx.channel)
        and (consent.debt_id is None or consent.debt_id in moment.plan.group)
        for consent in ctx.consents
    )


def time_windows(moment: Moment) -> Iterator[Reason]:
    """Permitted hours and holidays in every zone the window is checked in."""
    for check in moment.plan.setup.windows:
        lifted_by = check.window.lifted_by_consent
        if lifted_by and _lifted(moment, lifted_by):
            continue
        holiday = [z for z in check.zones if _closed_on(check, moment.local(z))]
        outside = [z for z in check.zones if not _within_hours(check, moment.local(z))]
        if not holiday and not outside:
            continue
        clears = next_open(check, moment.at)
        if holiday:
            yield Reason("PUBLIC_HOLIDAY", f"{check.label}: public holiday in {holiday[0].key}",
                         clears)  # fmt: skip
        if outside:
            yield Reason(check.window.code,
                         f"{check.label}: outside permitted hours in {outside[0].key}",
                         clears)  # fmt: skip


def inconvenient_times(moment: Moment) -> Iterator[Reason]:
    """Times the debtor said are inconvenient, in the primary zone (letters are not timed)."""
    ctx = moment.plan.ctx
    if not ctx.inconvenient_times or ctx.channel == "letter":
        return
    zone = moment.plan.primary
    local = moment.local(zone)
    today, minute = local.date(), _minute(local)
    day, yesterday = WEEKDAYS[local.weekday()], WEEKDAYS[local.weekday() - 1]
    for slot in ctx.inconvenient_times:
        start = slot.start.hour * 60 + slot.start.minute
        end = slot.end.hour * 60 + slot.end.minute
        clears = None
        if start < end:
            if day in slot.days and start <= minute < end:
                clears = wall_instant_after(today, end, zone, moment.at)
        elif day in slot.days and minute >= start:  # overnight, e.g. 21:00–08:00
            clears = wall_instant_after(today + ONE_DAY, end, zone, moment.at)
        elif yesterday in slot.days and minute < end:
            clears = wall_instant_after(today, end, zone, moment.at)
        if clears is not None:
            yield Reason("DEBTOR_DESIGNATED_INCONVENIENT_TIME",
                         "the debtor designated this time as inconvenient", clears)  # fmt: skip
