"""The instant-independent part of an evaluation: profiles, zones, counted events, consents.

A plan is resolved once per request; `Moment` re-checks it at any instant, which is how
`next_allowed_at` is found without re-resolving anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo

from app.rules.context import ConsentState, EvaluationContext, HistoryContact
from app.rules.lender_rules import LenderRule, as_limit, as_window
from app.rules.localtime import ONE_DAY, local_midnight
from app.rules.presets import PRESETS, Preset
from app.rules.selection import applicable_profiles
from app.rules.specs import RIGHT_PARTY_OUTCOMES, Limit, Window
from app.rules.zones import UTC_ZONE, base_zones, require_zone

CONSENT_DAYS = 7


# eq=False: compared and hashed by identity, so a cached setup's checks key cheap caches.
@dataclass(frozen=True, slots=True, eq=False)
class WindowCheck:
    """A window that governs this request, with the zones it must hold in."""

    window: Window
    zones: tuple[ZoneInfo, ...]
    holiday_country: str | None
    label: str


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """A cap or cool-down that governs this request, with its counted events (oldest first)."""

    limit: Limit
    events: tuple[datetime, ...]
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class DirectConsent:
    """A direct prior consent: covers calls from `given_at` until `ends_at` (exclusive).

    The conversation that ends it (`ended_by`) was itself placed under the consent.
    """

    consent: ConsentState
    ends_at: datetime
    ended_by: datetime | None

    def covers(self, at: datetime, channel: str, debt_ids: frozenset[str]) -> bool:
        """Whether a call at `at` on `channel` about `debt_ids` is covered."""
        consent = self.consent
        if not consent.given_at <= at < self.ends_at:
            return False
        if self.ended_by is not None and at > self.ended_by:
            return False
        if consent.channel is not None and consent.channel != channel:
            return False
        return consent.debt_id is None or consent.debt_id in debt_ids


# eq=False: one object per cached `_setup` answer, so memo keys holding it hash it cheaply.
@dataclass(frozen=True, slots=True, eq=False)
class Setup:
    """What every request with the same profiles, zones, channel and purpose shares."""

    presets: tuple[Preset, ...]
    zones: tuple[tuple[str, str], ...]  # (zone, source) the request is checked in
    primary: ZoneInfo
    windows: tuple[WindowCheck, ...]
    unresolvable: bool
    limits: tuple[tuple[Limit, ZoneInfo], ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything about a request that does not depend on the instant it is checked at."""

    ctx: EvaluationContext
    setup: Setup
    group: frozenset[str]
    limits: tuple[LimitCheck, ...]
    consents: tuple[DirectConsent, ...]
    history: tuple[HistoryContact, ...]

    @property
    def presets(self) -> tuple[Preset, ...]:
        """The applicable presets, in evaluation order."""
        return self.setup.presets

    @property
    def primary(self) -> ZoneInfo:
        """The zone dates are counted in (§2)."""
        return self.setup.primary


def build_plan(ctx: EvaluationContext) -> Plan:
    """Resolve profiles, zones, windows, consents and counted events for a request."""
    codes = applicable_profiles(ctx.debtor_kind, ctx.address, tuple(ctx.profiles))
    base = base_zones(ctx.debtor_timezone, ctx.address, ctx.channel, ctx.destination,
                      ctx.destination_zones)  # fmt: skip
    country = ctx.address.country.upper() if ctx.address and ctx.address.country else None
    setup = _setup(codes, base, ctx.channel, ctx.destination_type or "other", ctx.purpose,
                   ctx.destination is not None, country, tuple(ctx.lender_rules))  # fmt: skip
    at = ctx.at
    history = tuple(sorted((h for h in ctx.history if h.occurred_at <= at),
                           key=attrgetter("occurred_at")))  # fmt: skip
    consents = tuple(
        _direct_consent(consent, history, setup.primary)
        for consent in ctx.consents
        if consent.type == "direct_prior_consent" and consent.given_at <= at
    )
    group = ctx.debt_group
    limits = tuple(
        LimitCheck(limit, _events(limit, history, ctx, group, consents), zone)
        for limit, zone in setup.limits
    )
    return Plan(ctx, setup, group, limits, consents, history)


@lru_cache(maxsize=16384)
def _setup(
    codes: tuple[str, ...], base: tuple[tuple[str, str], ...], channel: str,
    destination_type: str, purpose: str, has_destination: bool, country: str | None,
    lender_rules: tuple[LenderRule, ...],
) -> Setup:  # fmt: skip
    presets = tuple(PRESETS[code] for code in codes)
    fallback = next((p.default_zones for p in presets if p.default_zones), ())
    shown = dict(base)
    windows: list[WindowCheck] = []
    for label, window, defaults in _governing_windows(
        presets, lender_rules, channel, destination_type, fallback
    ):
        if window.zone:
            names: tuple[tuple[str, str], ...] = ((window.zone, "profile"),)
        else:
            names = base or tuple((name, "default") for name in defaults)
        for name, source in names:
            shown.setdefault(name, source)
        zones = tuple(require_zone(name) for name, _ in names)
        holidays = country if window.holiday_country == "address" else window.holiday_country
        windows.append(WindowCheck(window, zones, holidays, label))
    primary = require_zone(base[0][0] if base else fallback[0]) if base or fallback else UTC_ZONE
    limits = [limit for preset in presets for limit in preset.limits]
    limits += [as_limit(r) for r in lender_rules if r.type in ("frequency_cap", "cooldown")]
    governing = tuple(
        (limit, require_zone(limit.zone) if limit.zone else primary)
        for limit in limits
        if limit.governs(channel, destination_type, purpose)
        and (limit.per != "destination" or has_destination)
    )
    unresolvable = any(not check.zones for check in windows)
    return Setup(presets, tuple(shown.items()), primary, tuple(windows), unresolvable, governing)


def _governing_windows(
    presets: tuple[Preset, ...], lender_rules: tuple[LenderRule, ...], channel: str,
    destination_type: str, fallback: tuple[str, ...],
) -> list[tuple[str, Window, tuple[str, ...]]]:  # fmt: skip
    found = [
        (preset.code, window, preset.default_zones)
        for preset in presets
        for window in preset.windows
        if window.governs(channel, destination_type)
    ]
    for rule in lender_rules:
        if rule.type == "time_window":
            window = as_window(rule)
            if window.governs(channel, destination_type):
                found.append((rule.code, window, fallback))
    return found


def _direct_consent(
    consent: ConsentState, history: tuple[HistoryContact, ...], primary: ZoneInfo
) -> DirectConsent:
    if consent.expires_at is not None:
        ends_at = consent.expires_at
    else:
        given_day = consent.given_at.astimezone(primary).date()
        ends_at = local_midnight(given_day + CONSENT_DAYS * ONE_DAY, primary)
    ended_by = next(
        (
            h.occurred_at
            for h in history
            if h.occurred_at > consent.given_at
            and h.channel == "phone"
            and h.outcome in RIGHT_PARTY_OUTCOMES
            and (consent.debt_id is None or consent.debt_id in h.debt_ids)
        ),
        None,
    )
    return DirectConsent(consent, ends_at, ended_by)


def _events(
    limit: Limit, history: tuple[HistoryContact, ...], ctx: EvaluationContext,
    group: frozenset[str], consents: tuple[DirectConsent, ...],
) -> tuple[datetime, ...]:  # fmt: skip
    """The instants of the history contacts this limit counts, oldest first."""
    return tuple(h.occurred_at for h in history if _counts(limit, h, ctx, group, consents))


def _counts(
    limit: Limit, contact: HistoryContact, ctx: EvaluationContext, group: frozenset[str],
    consents: tuple[DirectConsent, ...],
) -> bool:  # fmt: skip
    if (
        contact.channel not in limit.channels
        or contact.direction not in limit.directions
        or contact.outcome not in limit.outcomes
        or contact.purpose in limit.exempt_purposes
    ):
        return False
    if limit.per == "destination":
        if contact.destination != ctx.destination:
            return False
    elif contact.debt_ids.isdisjoint(group):
        return False
    types = limit.destination_types
    if types is not None and (contact.destination_type or "other") not in types:
        return False
    # Consent exempts calls from the count, but a conversation still starts a cool-down.
    if limit.kind == "cap" and limit.consent_exempt:
        return not any(c.covers(contact.occurred_at, contact.channel, contact.debt_ids)
                       for c in consents)  # fmt: skip
    return True


@lru_cache(maxsize=4096)
def local_time(at: datetime, zone: ZoneInfo) -> datetime:
    """`at` in `zone`; a call list checks thousands of debtors at the same instant."""
    return at.astimezone(zone)


class Moment:
    """The planned request checked at one instant; local times are computed once per zone."""

    __slots__ = ("plan", "at", "record", "counters", "_local", "_covered")

    def __init__(self, plan: Plan, at: datetime, *, record: bool = False) -> None:
        self.plan = plan
        self.at = at
        self.record = record
        self.counters: dict[str, dict[str, object]] = {}
        self._local: dict[ZoneInfo, datetime] = {}
        self._covered: bool | None = None

    def local(self, zone: ZoneInfo) -> datetime:
        """The moment's wall-clock time in `zone`."""
        found = self._local.get(zone)
        if found is None:
            found = self._local[zone] = local_time(self.at, zone)
        return found

    def covered_by_consent(self) -> bool:
        """Whether a direct prior consent covers the request at this instant."""
        if self._covered is None:
            plan = self.plan
            self._covered = bool(plan.consents) and any(
                c.covers(self.at, plan.ctx.channel, plan.group) for c in plan.consents
            )
        return self._covered
