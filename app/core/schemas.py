"""Building blocks for request and response models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
)

# Control characters, line/paragraph separators and lone surrogates (category Cs is exactly
# U+D800–U+DFFF): one regex scan, no per-character Python loop.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("line breaks and tabs are not allowed")
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    # Pydantic's lax mode reads 0 or "0" as 1970-01-01 (a Unix time); the contract is YYYY-MM-DD.
    if isinstance(value, str) and not _DAY.match(value):
        raise ValueError("a date is YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise ValueError("a date is a YYYY-MM-DD string")
    return value


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _text_instant(value: object) -> object:
    # Likewise for instants: neither 0 nor "0.5" is an RFC 3339 string.
    if isinstance(value, str) and not _INSTANT.match(value.strip()):
        raise ValueError("an instant is an RFC 3339 string")
    if not isinstance(value, str | datetime):
        raise ValueError("an instant is an RFC 3339 string")
    return value


Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
    AfterValidator(_single_line),
]
"""A short single-line string (names, refs): 1–200 characters, no control characters."""

Text = Annotated[
    str,
    StringConstraints(max_length=4000),
    AfterValidator(_no_control_characters),
]
"""Free text (notes): up to 4,000 characters; line breaks allowed, other control characters not."""

Instant = Annotated[AwareDatetime, BeforeValidator(_text_instant), AfterValidator(_utc)]
"""An RFC 3339 instant with an offset; stored and returned in UTC."""

InstantParam = Annotated[datetime, BeforeValidator(_text_instant)]
"""An RFC 3339 instant as a query parameter (the endpoint checks the offset itself)."""

Day = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar date, `YYYY-MM-DD` (request bodies and query parameters)."""


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
