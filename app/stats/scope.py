"""Whose figures a request may see, and the calendar its dates are counted in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import InvalidInput, NotFound
from app.debts.dpd import local_today
from app.debts.models import Product
from app.stats import repository
from app.stats.schemas import Scope

MAX_RANGE_DAYS = 3 * 366


class LenderNotFound(NotFound):
    title = "Lender not found"


@dataclass(frozen=True)
class StatsScope:
    """The lenders in scope (None: every lender), their zones, and the zone dates are counted in."""

    lender_ids: frozenset[uuid.UUID] | None
    zones: dict[uuid.UUID, str]
    lender_id: uuid.UUID | None
    timezone: str
    product: Product | None

    def todays(self, now: datetime) -> dict[date, list[uuid.UUID]]:
        """Lenders grouped by their local 'today' (DPD and buckets are counted per lender)."""
        groups: dict[date, list[uuid.UUID]] = {}
        for lender_id, zone in self.zones.items():
            groups.setdefault(local_today(now, zone), []).append(lender_id)
        return groups or {local_today(now, "UTC"): []}

    def today(self, now: datetime) -> date:
        return local_today(now, self.timezone)

    def instant(self, day: date) -> datetime:
        """Midnight starting `day` in the scope's zone, in UTC."""
        return datetime.combine(day, time(0), ZoneInfo(self.timezone)).astimezone(UTC)

    def describe(self, first: date | None = None, last: date | None = None) -> Scope:
        product = self.product.value if self.product is not None else None
        return Scope(
            lender_id=self.lender_id,
            product=product,
            timezone=self.timezone,
            date_from=first,
            date_to=last,
        )


async def resolve(
    session: AsyncSession,
    principal: Principal,
    lender_id: uuid.UUID | None,
    product: Product | None,
) -> StatsScope:
    """A lender key or a bound viewer sees only its lender; another lender's id is 404."""
    allowed = principal.lender_scope
    if lender_id is not None:
        if allowed is not None and lender_id not in allowed:
            raise LenderNotFound()
        wanted: frozenset[uuid.UUID] | None = frozenset({lender_id})
    else:
        wanted = allowed
    zones = await repository.lender_zones(session, wanted)
    if lender_id is not None and lender_id not in zones:
        raise LenderNotFound()
    single = next(iter(wanted)) if wanted is not None and len(wanted) == 1 else None
    timezone = zones.get(single, "UTC") if single is not None else "UTC"
    return StatsScope(wanted, zones, single, timezone, product)


def date_range(
    scope: StatsScope, first: date | None, last: date | None, now: datetime
) -> tuple[date, date]:
    """`from`/`to` inclusive; defaults: the last 30 days up to today in the scope's zone."""
    last = last or scope.today(now)
    first = first or last - timedelta(days=29)
    if first > last:
        raise InvalidInput("#/from", "`from` must not be after `to`.")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput("#/from", f"The range may span at most {MAX_RANGE_DAYS} days.")
    return first, last
