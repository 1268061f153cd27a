"""Which time zones a request is checked in (COMPLIANCE.md §2), with cached lookups."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from app.rules.context import Address
from app.rules.zone_table import AU_STATE_ZONES, COUNTRY_ZONES, LEGACY_ZONES, US_STATE_ZONES

MAX_PHONE_ZONES = 3
PHONE_CHANNELS = frozenset({"phone", "sms"})
UTC_ZONE = ZoneInfo("UTC")


def normalise_zone(name: str) -> str:
    """The canonical name of a zone (`Asia/Calcutta` → `Asia/Kolkata`)."""
    return LEGACY_ZONES.get(name, name)


@lru_cache(maxsize=2048)
def get_zone(name: str) -> ZoneInfo | None:
    """The ZoneInfo for a (possibly legacy) zone name, or None when tzdata does not know it."""
    try:
        return ZoneInfo(normalise_zone(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def require_zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a zone name the engine's own tables use."""
    zone = get_zone(name)
    if zone is None:
        raise LookupError(f"unknown time zone {name!r}")
    return zone


@lru_cache(maxsize=1024)
def address_zones(country: str | None, subdivision: str | None) -> tuple[str, ...]:
    """Zones an address maps to, primary first; empty when the table has no row."""
    if not country:
        return ()
    country = country.upper()
    subdivision = (subdivision or "").upper().removeprefix(f"{country}-")
    if country == "US":
        return US_STATE_ZONES.get(subdivision, ())
    if country == "AU":
        return AU_STATE_ZONES.get(subdivision, ())
    return COUNTRY_ZONES.get(country, ())


@lru_cache(maxsize=65536)
def phone_zones(number: str) -> tuple[str, ...]:
    """Zones of a phone number when it gives 1–3 real ones; else none (toll-free, mobile…)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    found = phone_timezone.time_zones_for_number(parsed)
    zones = tuple(dict.fromkeys(normalise_zone(z) for z in found if z != "Etc/Unknown"))
    if not 1 <= len(zones) <= MAX_PHONE_ZONES or any(get_zone(z) is None for z in zones):
        return ()
    return zones


@lru_cache(maxsize=65536)
def _base_zones(
    timezone: str | None,
    country: str | None,
    subdivision: str | None,
    phone: str | None,
) -> tuple[tuple[str, str], ...]:
    location: tuple[tuple[str, str], ...] = ()
    if timezone and get_zone(timezone) is not None:
        location = ((normalise_zone(timezone), "timezone"),)
    else:
        location = tuple((z, "address") for z in address_zones(country, subdivision))
    phones = tuple((z, "phone") for z in phone_zones(phone)) if phone else ()
    seen: dict[str, str] = {}
    for name, source in location + phones:
        seen.setdefault(name, source)
    return tuple(seen.items())


def base_zones(
    timezone: str | None, address: Address | None, channel: str, destination: str | None
) -> tuple[tuple[str, str], ...]:
    """Location zones, plus the number's zones for phone and SMS: (zone, source) pairs."""
    phone = destination if channel in PHONE_CHANNELS else None
    if address is None:
        return _base_zones(timezone, None, None, phone)
    return _base_zones(timezone, address.country, address.subdivision, phone)
