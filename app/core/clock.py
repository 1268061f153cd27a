"""The injectable clock: real time, or `X-Arrears-Now` when ARREARS_ENV=test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from app.core.errors import BadRequest

NOW_HEADER = "x-arrears-now"


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_instant(raw: str) -> datetime:
    """An RFC 3339 instant with an offset (seconds optional), as UTC."""
    value = datetime.fromisoformat(raw.strip().replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("an offset is required")
    return value.astimezone(UTC)


async def get_now(request: Request) -> datetime:
    """Now for this request; the same instant for every use within the request.

    `async` although it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
    a thread hop of a few hundred microseconds per request.
    """
    cached = getattr(request.state, "now", None)
    if isinstance(cached, datetime):
        return cached
    now = utcnow()
    if request.app.state.settings.test_clock_enabled:
        raw = request.headers.get(NOW_HEADER)
        if raw:
            try:
                now = parse_instant(raw)
            except ValueError:
                raise BadRequest(
                    "X-Arrears-Now must be an RFC 3339 instant with an offset."
                ) from None
    request.state.now = now
    return now


NowDep = Annotated[datetime, Depends(get_now)]
