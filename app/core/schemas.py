"""Building blocks for request and response models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints

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

Instant = Annotated[AwareDatetime, AfterValidator(_utc)]
"""An RFC 3339 instant with an offset; stored and returned in UTC."""


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
