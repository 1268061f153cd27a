"""Portable column types shared by every model (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Enum, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

# Money is always integer minor units of the row's currency.
Money = BigInteger
# None is stored as SQL NULL (not JSON null), so COALESCE and IS NULL mean what they say.
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: timezone-aware in, UTC out; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: instants must carry a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # Stored as naive UTC text so that lexical order is chronological order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type[StrEnum], length: int = 32) -> Enum:
    """A string-backed enum column (VARCHAR, values not names)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


_last_ms = 0
_sequence = 0
# Random bits come from os.urandom 4 KiB at a time (one system call per ~400 ids instead of two
# per id); a forked child starts with an empty buffer so it never repeats its parent's bits.
_random = b""
_random_at = 0


def _drop_random() -> None:
    global _random, _random_at
    _random, _random_at = b"", 0


os.register_at_fork(after_in_child=_drop_random)


def _random_bits(n: int) -> int:
    global _random, _random_at
    if _random_at + n > len(_random):
        _random, _random_at = os.urandom(4096), 0
    start = _random_at
    _random_at += n
    return int.from_bytes(_random[start : start + n], "big")


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7 layout), monotonic within the process.

    Rows created in one request share an instant; a 12-bit sequence in the same millisecond keeps
    their ids (and so the order of, say, timeline events) in creation order.
    """
    global _last_ms, _sequence
    ms = time.time_ns() // 1_000_000
    if ms <= _last_ms:
        ms = _last_ms
        _sequence += 1
        if _sequence > 0xFFF:  # more than 4,096 ids in one millisecond: borrow the next one
            ms, _sequence = ms + 1, 0
    else:
        _sequence = _random_bits(1)  # a random start, room to count up
    _last_ms = ms
    rand = _random_bits(8)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (_sequence & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
