"""Which presets apply to a debtor (COMPLIANCE.md §1, §2): address selection plus configuration."""

from __future__ import annotations

from functools import lru_cache

from app.rules.context import Address
from app.rules.presets import PRESETS

_ORDER = {code: index for index, code in enumerate(PRESETS)}
_COUNTRY_PRESETS = {
    "US": "US_FEDERAL_REGF", "AU": "AU_ACCC_ASIC", "GB": "GB_FCA_CONC", "IN": "IN_RBI",
    "CN": "CN_CBA_2026",
}  # fmt: skip
_US_STATE_PRESETS = {"MA": "US_MA_940CMR7", "WA": "US_WA_RCW19_16"}
_NYC_CITIES = frozenset({"new york", "new york city", "nyc", "manhattan", "brooklyn", "bronx",
                         "the bronx", "queens", "staten island"})  # fmt: skip
_NYC_ZIP_PREFIXES = frozenset({"100", "101", "102", "103", "104", "110", "111", "112", "113",
                               "114", "116"})  # fmt: skip


class UnknownProfile(ValueError):
    """A profile code that is not a built-in preset."""


def is_nyc(address: Address) -> bool:
    """A New York City address: NY and a city of NYC or a ZIP 100xx–104xx, 110xx–114xx, 116xx."""
    state = (address.subdivision or "").upper().removeprefix("US-")
    if (address.country or "").upper() != "US" or state != "NY":
        return False
    if address.city and " ".join(address.city.lower().split()) in _NYC_CITIES:
        return True
    zip5 = (address.postal_code or "").strip()[:5]
    return len(zip5) == 5 and zip5.isdigit() and zip5[:3] in _NYC_ZIP_PREFIXES


def address_profiles(debtor_kind: str, address: Address | None) -> tuple[str, ...]:
    """The presets an address selects; company debtors get business hours instead."""
    if debtor_kind == "company":
        return ("B2B_BUSINESS_HOURS",)
    if address is None or not address.country:
        return ()
    country = address.country.upper()
    selected = [_COUNTRY_PRESETS[country]] if country in _COUNTRY_PRESETS else []
    if country == "US":
        state = (address.subdivision or "").upper().removeprefix("US-")
        if state in _US_STATE_PRESETS:
            selected.append(_US_STATE_PRESETS[state])
        if is_nyc(address):
            selected.append("US_NYC_DCWP")
    return tuple(selected)


@lru_cache(maxsize=8192)
def applicable_profiles(
    debtor_kind: str, address: Address | None, explicit_profiles: tuple[str, ...]
) -> tuple[str, ...]:
    """Address-selected presets plus configured ones; configuration adds, never removes."""
    unknown = [code for code in explicit_profiles if code not in PRESETS]
    if unknown:
        raise UnknownProfile(f"unknown compliance profile(s): {', '.join(unknown)}")
    codes = set(address_profiles(debtor_kind, address)) | set(explicit_profiles)
    return tuple(sorted(codes, key=_ORDER.__getitem__))
