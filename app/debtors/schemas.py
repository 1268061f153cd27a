"""Debtor and contact point bodies, with normalisation of phone numbers and emails."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from functools import lru_cache
from typing import Annotated, Any, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneMetadata, phonenumberutil
from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from app.core.schemas import Name, RequestModel, ResponseModel
from app.debtors.models import ContactChannel, ContactPointStatus, ContactPointType, DebtorKind
from app.lenders.schemas import TimeZoneName

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


def _is_valid_for(national_number: str, metadata: Any) -> bool:
    """`_number_type_helper(...) != UNKNOWN` of phonenumbers, with the same tests in an order that
    stops at the first match (fixed line first: most numbers are fixed line or mobile)."""
    matches = phonenumberutil._is_number_matching_desc
    if not matches(national_number, metadata.general_desc):
        return False
    if matches(national_number, metadata.fixed_line):
        return True
    if not metadata.same_mobile_and_fixed_line_pattern and matches(
        national_number, metadata.mobile
    ):
        return True
    return any(
        matches(national_number, getattr(metadata, kind))
        for kind in (
            "premium_rate",
            "toll_free",
            "shared_cost",
            "voip",
            "personal_number",
            "pager",
            "uan",
            "voicemail",
        )
    )


def _is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """`phonenumbers.is_valid_number` (region from the number, then validity in that region),
    without classifying the number's type twice."""
    country_code = number.country_code
    regions = phonenumberutil.COUNTRY_CODE_TO_REGION_CODE.get(country_code or 0)
    if country_code is None or not regions:
        return False
    national_number = phonenumberutil.national_significant_number(number)
    region: str | None = regions[0] if len(regions) == 1 else None
    if region is None:
        for candidate in regions:
            metadata = PhoneMetadata.metadata_for_region(candidate.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if re.match(metadata.leading_digits, national_number):
                    region = candidate
                    break
            elif _is_valid_for(national_number, metadata):
                region = candidate
                break
        if region is None:
            return False
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region.upper())
    if metadata is None or (
        region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        and country_code != phonenumbers.country_code_for_valid_region(region)
    ):
        return False
    return _is_valid_for(national_number, metadata)


@lru_cache(maxsize=65536)
def _phone_e164(value: str, region: str | None) -> tuple[str, bool]:
    """(E.164, True) or (reason, False); cached, so a re-posted portfolio parses nothing."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return "not a phone number", False
    if not _is_valid_number(number):
        return "not a valid phone number", False
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)), True


def normalise_value(channel: ContactChannel, value: str, region: str | None) -> str:
    """E.164 for phones (default region from the address), a normalised address for email."""
    if channel is ContactChannel.PHONE:
        normalised, valid = _phone_e164(value, region)
        if not valid:
            raise ValueError(normalised)
        return normalised
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
            point.value = normalise_value(point.channel, point.value, region)
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
