"""Address → IANA zones, primary zone first (COMPLIANCE.md §2). Data only.

US states and AU states/territories are mapped by subdivision, every other country by country.
A state with counties in a second zone lists that zone too, because a window must hold in every
candidate zone. Residents of minority zones (Broken Hill, Lord Howe) need an explicit timezone.
"""

from __future__ import annotations

_NY, _CHI, _DEN, _PHX, _LA = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles",
)  # fmt: skip

US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": (_CHI,), "AK": ("America/Anchorage", "America/Adak"), "AZ": (_PHX, _DEN),
    "AR": (_CHI,), "CA": (_LA,), "CO": (_DEN,), "CT": (_NY,), "DE": (_NY,), "DC": (_NY,),
    "FL": (_NY, _CHI), "GA": (_NY,), "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", _LA), "IL": (_CHI,), "IN": ("America/Indiana/Indianapolis", _CHI),
    "IA": (_CHI,), "KS": (_CHI, _DEN), "KY": (_NY, _CHI), "LA": (_CHI,), "ME": (_NY,),
    "MD": (_NY,), "MA": (_NY,), "MI": ("America/Detroit", "America/Menominee"), "MN": (_CHI,),
    "MS": (_CHI,), "MO": (_CHI,), "MT": (_DEN,), "NE": (_CHI, _DEN), "NV": (_LA, _DEN),
    "NH": (_NY,), "NJ": (_NY,), "NM": (_DEN,), "NY": (_NY,), "NC": (_NY,), "ND": (_CHI, _DEN),
    "OH": (_NY,), "OK": (_CHI,), "OR": (_LA, "America/Boise"), "PA": (_NY,), "RI": (_NY,),
    "SC": (_NY,), "SD": (_CHI, _DEN), "TN": (_CHI, _NY), "TX": (_CHI, _DEN), "UT": (_DEN,),
    "VT": (_NY,), "VA": (_NY,), "WA": (_LA,), "WV": (_NY,), "WI": (_CHI,), "WY": (_DEN,),
    "PR": ("America/Puerto_Rico",), "GU": ("Pacific/Guam",), "VI": ("America/St_Thomas",),
    "AS": ("Pacific/Pago_Pago",), "MP": ("Pacific/Saipan",),
}  # fmt: skip

AU_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "NSW": ("Australia/Sydney",), "ACT": ("Australia/Sydney",), "JBT": ("Australia/Sydney",),
    "VIC": ("Australia/Melbourne",), "QLD": ("Australia/Brisbane",),
    "SA": ("Australia/Adelaide",), "WA": ("Australia/Perth",), "TAS": ("Australia/Hobart",),
    "NT": ("Australia/Darwin",),
}  # fmt: skip

COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "GB": ("Europe/London",), "IE": ("Europe/Dublin",), "IN": ("Asia/Kolkata",),
    "CN": ("Asia/Shanghai",), "HK": ("Asia/Hong_Kong",), "MO": ("Asia/Macau",),
    "TW": ("Asia/Taipei",), "JP": ("Asia/Tokyo",), "KR": ("Asia/Seoul",),
    "SG": ("Asia/Singapore",), "MY": ("Asia/Kuala_Lumpur",), "TH": ("Asia/Bangkok",),
    "VN": ("Asia/Ho_Chi_Minh",), "PH": ("Asia/Manila",),
    "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"), "PK": ("Asia/Karachi",),
    "BD": ("Asia/Dhaka",), "LK": ("Asia/Colombo",), "NP": ("Asia/Kathmandu",),
    "AE": ("Asia/Dubai",), "SA": ("Asia/Riyadh",), "IL": ("Asia/Jerusalem",),
    "TR": ("Europe/Istanbul",), "NZ": ("Pacific/Auckland",), "FR": ("Europe/Paris",),
    "DE": ("Europe/Berlin",), "ES": ("Europe/Madrid", "Atlantic/Canary"),
    "PT": ("Europe/Lisbon", "Atlantic/Azores"), "IT": ("Europe/Rome",),
    "NL": ("Europe/Amsterdam",), "BE": ("Europe/Brussels",), "LU": ("Europe/Luxembourg",),
    "CH": ("Europe/Zurich",), "AT": ("Europe/Vienna",), "PL": ("Europe/Warsaw",),
    "CZ": ("Europe/Prague",), "SK": ("Europe/Bratislava",), "HU": ("Europe/Budapest",),
    "RO": ("Europe/Bucharest",), "BG": ("Europe/Sofia",), "GR": ("Europe/Athens",),
    "SE": ("Europe/Stockholm",), "NO": ("Europe/Oslo",), "DK": ("Europe/Copenhagen",),
    "FI": ("Europe/Helsinki",), "EE": ("Europe/Tallinn",), "LV": ("Europe/Riga",),
    "LT": ("Europe/Vilnius",), "UA": ("Europe/Kyiv",), "ZA": ("Africa/Johannesburg",),
    "NG": ("Africa/Lagos",), "KE": ("Africa/Nairobi",), "EG": ("Africa/Cairo",),
    "MA": ("Africa/Casablanca",), "GH": ("Africa/Accra",),
    "MX": ("America/Mexico_City", "America/Cancun", "America/Chihuahua", "America/Tijuana"),
    "BR": ("America/Sao_Paulo", "America/Manaus", "America/Fortaleza"),
    "AR": ("America/Argentina/Buenos_Aires",), "CL": ("America/Santiago",),
    "CO": ("America/Bogota",), "PE": ("America/Lima",),
    "CA": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg",
           "America/Halifax", "America/St_Johns", "America/Regina"),
}  # fmt: skip

# Old names that tzdata keeps as links, mapped to the canonical zone.
LEGACY_ZONES: dict[str, str] = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon",
    "Asia/Chongqing": "Asia/Shanghai", "Asia/Chungking": "Asia/Shanghai",
    "Asia/Harbin": "Asia/Shanghai", "PRC": "Asia/Shanghai", "Europe/Kiev": "Europe/Kyiv",
    "GB": "Europe/London", "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis", "US/Eastern": _NY,
    "US/Central": _CHI, "US/Mountain": _DEN, "US/Arizona": _PHX, "US/Pacific": _LA,
    "US/Alaska": "America/Anchorage", "US/Hawaii": "Pacific/Honolulu",
    "Australia/ACT": "Australia/Sydney", "Australia/NSW": "Australia/Sydney",
    "Australia/Canberra": "Australia/Sydney", "Australia/Victoria": "Australia/Melbourne",
    "Australia/Queensland": "Australia/Brisbane", "Australia/West": "Australia/Perth",
    "Australia/South": "Australia/Adelaide", "Australia/North": "Australia/Darwin",
    "Australia/Tasmania": "Australia/Hobart",
}  # fmt: skip

US_DEFAULT_ZONES = (_NY, _CHI, _DEN, _PHX, _LA, "America/Anchorage", "Pacific/Honolulu")
AU_DEFAULT_ZONES = (
    "Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Adelaide",
    "Australia/Darwin", "Australia/Perth", "Australia/Hobart",
)  # fmt: skip
