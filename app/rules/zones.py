"""Which time zones a request is checked in (COMPLIANCE.md §2), with cached lookups."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType, phonenumberutil
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

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


_matches = phonenumberutil._is_number_matching_desc
# The types phonenumbers tests before fixed line and mobile, in its order (`_number_type_helper`).
_SPECIAL_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                  "uan", "voicemail")  # fmt: skip
_GEOGRAPHIC_MOBILE = phonenumberutil._GEO_MOBILE_COUNTRIES


def _matches_any_type(national_number: str, metadata: PhoneMetadata) -> bool:
    """`_number_type_helper(...) != UNKNOWN`, fixed line first (most numbers are fixed or mobile)."""
    if not _matches(national_number, metadata.general_desc):
        return False
    if _matches(national_number, metadata.fixed_line):
        return True
    if not metadata.same_mobile_and_fixed_line_pattern and _matches(
        national_number, metadata.mobile
    ):
        return True
    return any(_matches(national_number, getattr(metadata, kind)) for kind in _SPECIAL_TYPES)


def number_type(number: phonenumbers.PhoneNumber) -> int:
    """`phonenumbers.number_type`, except that a number `phonenumbers.is_valid_number` rejects is
    UNKNOWN: one pass over the metadata answers both validity and the type time zones need."""
    country_code = number.country_code
    regions = phonenumberutil.COUNTRY_CODE_TO_REGION_CODE.get(country_code or 0)
    if country_code is None or not regions:
        return PhoneNumberType.UNKNOWN
    national_number = phonenumberutil.national_significant_number(number)
    region: str | None = regions[0] if len(regions) == 1 else None
    if region is None:  # `region_code_for_number`: the first region that claims the number
        for candidate in regions:
            metadata = PhoneMetadata.metadata_for_region(candidate.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if re.match(metadata.leading_digits, national_number):
                    region = candidate
                    break
            elif _matches_any_type(national_number, metadata):
                region = candidate
                break
        if region is None:
            return PhoneNumberType.UNKNOWN
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region.upper())
    if metadata is None or (
        region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        and country_code != phonenumbers.country_code_for_valid_region(region)
    ):
        return PhoneNumberType.UNKNOWN
    kind: int = phonenumberutil._number_type_helper(national_number, metadata)
    return kind


def _prefix_zones(digits: str) -> tuple[str, ...]:
    for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        found = TIMEZONE_DATA.get(digits[:length])
        if found is not None:
            return tuple(found)
    return ()


def number_zones(number: phonenumbers.PhoneNumber, e164: str, kind: int) -> tuple[str, ...]:
    """Zones of a parsed number of type `kind` (`number_type`) when it gives 1–3 real ones; else
    none (toll-free, non-geographic, a whole country…). As `phonenumbers.time_zones_for_number`:
    a fixed line (or a mobile where mobiles are geographic) by its longest known prefix, any
    other valid number by its country calling code."""
    if kind == PhoneNumberType.UNKNOWN:
        return ()
    if phonenumberutil.is_number_type_geographical(kind, number.country_code or 0):
        found = _prefix_zones(e164[1:])
    else:
        # phonenumbers' `_country_level_time_zones_for_number`: the calling code's own prefixes.
        code = str(number.country_code)
        found = ()
        for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
            if (hit := TIMEZONE_DATA.get(code[: 1 + length])) is not None:
                found = tuple(hit)
                break
    zones = tuple(dict.fromkeys(normalise_zone(z) for z in found if z != "Etc/Unknown"))
    if not 1 <= len(zones) <= MAX_PHONE_ZONES or any(get_zone(z) is None for z in zones):
        return ()
    return zones


@lru_cache(maxsize=65536)
def phone_zones(number: str) -> tuple[str, ...]:
    """Zones of a phone number when it gives 1–3 real ones; else none (toll-free, mobile…).

    A contact point stores these when it is added (`contact_points.time_zones`), so a call list
    over many numbers parses none of them."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    kind = number_type(parsed)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return number_zones(parsed, e164, kind)


@lru_cache(maxsize=65536)
def _base_zones(
    timezone: str | None,
    country: str | None,
    subdivision: str | None,
    phones: tuple[str, ...],
) -> tuple[tuple[str, str], ...]:
    location: tuple[tuple[str, str], ...] = ()
    if timezone and get_zone(timezone) is not None:
        location = ((normalise_zone(timezone), "timezone"),)
    else:
        location = tuple((z, "address") for z in address_zones(country, subdivision))
    seen: dict[str, str] = {}
    for name, source in location + tuple((z, "phone") for z in phones):
        seen.setdefault(name, source)
    return tuple(seen.items())


def base_zones(
    timezone: str | None,
    address: Address | None,
    channel: str,
    destination: str | None,
    destination_zones: tuple[str, ...] | None = None,
) -> tuple[tuple[str, str], ...]:
    """Location zones, plus the number's zones for phone and SMS: (zone, source) pairs.

    `destination_zones`, when given, are the number's zones as stored with its contact point."""
    phones: tuple[str, ...] = ()
    if destination and channel in PHONE_CHANNELS:
        phones = destination_zones if destination_zones is not None else phone_zones(destination)
    if address is None:
        return _base_zones(timezone, None, None, phones)
    return _base_zones(timezone, address.country, address.subdivision, phones)
