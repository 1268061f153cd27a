"""The batch-ingestion fast paths give exactly what the straightforward code gave."""

from __future__ import annotations

import random
import unicodedata

import orjson
import phonenumbers
from phonenumbers import timezone as phone_timezone

from app.core.crypto import keyed_digest
from app.core.schemas import _no_control_characters
from app.debtors.schemas import _phone
from app.debts.ingest import digest, validate_item
from app.rules.zones import get_zone, normalise_zone, number_type
from bench.items import debt_item
from tests.debts_helpers import debt_item as api_item


def _reference_zones(number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """The rules' phone zones (COMPLIANCE.md §2) as phonenumbers' own lookup gives them."""
    found = phone_timezone.time_zones_for_number(number)
    zones = tuple(dict.fromkeys(normalise_zone(z) for z in found if z != "Etc/Unknown"))
    if not 1 <= len(zones) <= 3 or any(get_zone(z) is None for z in zones):
        return ()
    return zones


def _reference(value: str, region: str | None) -> tuple[str, tuple[str, ...] | None]:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return "not a phone number", None
    if not phonenumbers.is_valid_number(number):
        return "not a valid phone number", None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, _reference_zones(number)


def test_phone_validity_matches_phonenumbers_on_random_numbers() -> None:
    rnd = random.Random(4)
    regions = [None, "US", "CA", "GB", "DE", "IT", "BR", "IN", "JP", "AU", "AG", "JM", "001", "XX"]
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    valid = zoned = 0
    for _ in range(10_000):
        kind = rnd.random()
        if kind < 0.4:
            digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(4, 13)))
            value = f"+{rnd.choice(codes)}{digits}"
        elif kind < 0.7:  # NANP: several regions share +1, found by validity
            value = "+1" + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(9, 11)))
        elif kind < 0.9:
            value = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(5, 13)))
        else:
            value = "".join(rnd.choice("0123456789 -()+x.") for _ in range(rnd.randint(3, 16)))
        region = rnd.choice(regions)
        expected = _reference(value, region)
        assert _phone.__wrapped__(value, region) == expected, (value, region)
        assert _phone(value, region) == expected  # cached
        valid += expected[1] is not None
        zoned += bool(expected[1])
    assert valid > 300  # the sample exercises valid numbers too
    assert zoned > 100  # and numbers with zones


def test_phone_type_and_zones_on_known_numbers() -> None:
    for text in ("+12015550123", "+442079460000", "+12684601234", "+18005551234", "+12085551234",
                 "+61291234567", "+61412345678", "+5511987654321", "+8613812345678"):  # fmt: skip
        number = phonenumbers.parse(text, None)
        assert number_type(number) == phonenumbers.number_type(number), text
        assert _phone(text, None) == (text, _reference_zones(number)), text
    assert _phone("+12085551234", None)[1] == ("America/Boise", "America/Los_Angeles")
    assert _phone("+18005551234", None)[1] == ()  # toll-free: a whole country


def test_control_characters_and_lone_surrogates_are_refused() -> None:
    for code in (*range(0, 0x300), 0x2028, 0x2029, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000):
        char = chr(code)
        old_rule = (
            code in (*range(0, 9), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))
            or code in (0x2028, 0x2029)
            or unicodedata.category(char) == "Cs"
        )
        try:
            _no_control_characters(f"a{char}b")
            refused = False
        except ValueError:
            refused = True
        assert refused == old_rule, hex(code)


def test_digest_is_the_keyed_digest_of_the_item() -> None:
    for index in range(20):
        for raw in (debt_item(index, prefix="x"), api_item(f"D-{index}")):
            item = validate_item(raw, "secret")
            assert not isinstance(item, list)
            payload = orjson.dumps(
                item.model_dump(mode="json", exclude_unset=True), option=orjson.OPT_SORT_KEYS
            )
            assert digest(item, "secret") == keyed_digest("secret", payload)
            assert digest(item, "other") != digest(item, "secret")
