"""Debtor and contact point bodies, with normalisation of phone numbers and emails."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from functools import lru_cache
from typing import Annotated, Any, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberType
from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.core.schemas import Name, RequestModel, ResponseModel
from app.debtors.models import ContactChannel, ContactPointStatus, ContactPointType, DebtorKind
from app.lenders.schemas import TimeZoneName
from app.rules.zones import number_type, number_zones

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("use HH:MM (00:00–23:59)")
    return value


HHMM = Annotated[str, AfterValidator(_hhmm)]


class InconvenientTime(RequestModel):
    days: list[Weekday] = Field(min_length=1, max_length=7)
    from_: HHMM = Field(alias="from")
    to: HHMM

    model_config = {"extra": "forbid", "populate_by_name": True}

    def as_json(self) -> dict[str, Any]:
        return {"days": list(dict.fromkeys(self.days)), "from": self.from_, "to": self.to}

    @model_validator(mode="after")
    def _not_empty(self) -> InconvenientTime:
        if time.fromisoformat(self.from_) == time.fromisoformat(self.to):
            raise ValueError("from and to must differ")
        return self


class Address(RequestModel):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    subdivision: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    city: Name | None = None
    postal_code: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$")] | None
    ) = None
    line1: Name | None = None


@lru_cache(maxsize=65536)
def _phone(value: str, region: str | None) -> tuple[str, tuple[str, ...] | None]:
    """(E.164, its time zones) or (reason, None); cached, so a re-posted portfolio parses nothing.

    Valid means `phonenumbers.is_valid_number`; the type found on the way gives the zones."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return "not a phone number", None
    kind = number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        return "not a valid phone number", None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, number_zones(number, e164, kind)


# E.164 → the time zones `_phone` found for it, kept by `normalise_phone` for `phone_zones_of`.
_ZONES: dict[str, tuple[str, ...]] = {}
_ZONES_KEPT = 65536


def normalise_phone(value: str, region: str | None) -> tuple[str, tuple[str, ...]]:
    """The number in E.164 (default region from the address) and the time zones it gives."""
    normalised, zones = _phone(value, region)
    if zones is None:
        raise ValueError(normalised)
    if len(_ZONES) >= _ZONES_KEPT:
        _ZONES.clear()
    _ZONES[normalised] = zones
    return normalised, zones


def phone_zones_of(e164: str) -> tuple[str, ...] | None:
    """The time zones of a number in E.164: those found when it was normalised, or found again
    (the same number gives the same zones); None when it is not a valid number."""
    zones = _ZONES.get(e164)
    return zones if zones is not None else _phone(e164, None)[1]


def normalise_value(channel: ContactChannel, value: str, region: str | None) -> str:
    """E.164 for phones (default region from the address), a normalised address for email."""
    if channel is ContactChannel.PHONE:
        return normalise_phone(value, region)[0]
    if channel is ContactChannel.EMAIL:
        try:
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise ValueError("not a valid email address") from None
        return str(checked.normalized).lower()
    return value


class ContactPointIn(RequestModel):
    channel: ContactChannel
    value: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    type: ContactPointType = ContactPointType.OTHER

    @property
    def time_zones(self) -> list[str] | None:
        """A phone's time zones, once `normalise` has made its value E.164 (found on the way,
        `phone_zones_of`); None for other channels. Not a private attribute: pydantic would
        initialise one for every contact point of a batch (~12 µs each)."""
        if self.channel is not ContactChannel.PHONE:
            return None
        zones = phone_zones_of(self.value)
        return None if zones is None else list(zones)

    def normalise(self, region: str | None) -> None:
        """Normalise the value in place (`normalise_value`); ValueError when it is invalid."""
        self.value = normalise_value(self.channel, self.value, region)

    @field_validator("value")
    @classmethod
    def _printable(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value


NationalId = Annotated[
    str, StringConstraints(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9 .\-/]+$")
]


class DebtorIn(RequestModel):
    external_ref: Name
    kind: DebtorKind = DebtorKind.PERSON
    name: Name
    national_id: NationalId | None = None
    address: Address | None = None
    timezone: TimeZoneName | None = None
    locale: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")]
        | None
    ) = None
    contact_points: list[ContactPointIn] = Field(default_factory=list, max_length=20)
    inconvenient_times: list[InconvenientTime] | None = Field(default=None, max_length=20)


def normalise_contact_points(
    points: list[ContactPointIn], region: str | None, pointer: str
) -> list[tuple[str, str]]:
    """Normalise values in place; return (pointer, message) for each invalid one."""
    errors = []
    for index, point in enumerate(points):
        try:
            point.normalise(region)
        except ValueError as exc:
            errors.append((f"{pointer}/{index}/value", str(exc)))
    return errors


class DebtorPatch(RequestModel):
    kind: DebtorKind | None = None
    name: Name | None = None
    national_id: NationalId | None = None
    address: Address | None = None
    timezone: TimeZoneName | None = None
    locale: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")]
        | None
    ) = None
    inconvenient_times: list[InconvenientTime] | None = Field(default=None, max_length=20)


class ContactPointPatch(RequestModel):
    type: ContactPointType | None = None
    status: ContactPointStatus | None = None


class ContactPointOut(ResponseModel):
    id: uuid.UUID
    channel: ContactChannel
    value: str
    type: ContactPointType
    status: ContactPointStatus
    time_zones: list[str] | None = Field(
        default=None,
        description="A phone's time zones by its number (COMPLIANCE.md §2), found when it was "
        "added; empty when the number gives none usable (toll-free, non-geographic, more than "
        "three). Null for other channels.",
    )


class AddressOut(ResponseModel):
    country: str | None
    subdivision: str | None
    city: str | None
    postal_code: str | None
    line1: str | None


class InconvenientTimeOut(ResponseModel):
    days: list[str]
    from_: str = Field(serialization_alias="from")
    to: str


class DebtorOut(ResponseModel):
    id: uuid.UUID
    lender_id: uuid.UUID
    external_ref: str
    kind: DebtorKind
    name: str
    national_id_last4: str | None
    address: AddressOut | None
    timezone: str | None
    locale: str | None
    contact_points: list[ContactPointOut]
    inconvenient_times: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class DebtorSummary(ResponseModel):
    id: uuid.UUID
    external_ref: str
    kind: DebtorKind
    name: str
