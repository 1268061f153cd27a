"""Checks on a server's log output: JSON lines, request ids, no personal data."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from tests.world import PERSONAL_DATA

REQUEST_FIELDS = ("request_id", "method", "route", "status", "duration_ms")


def log_problems(lines: Iterable[str], personal: Iterable[str] = PERSONAL_DATA) -> list[str]:
    """Every line that is not JSON, a request line without its fields, or a line with personal data."""
    personal = [p.lower() for p in personal]
    problems = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        lowered = line.lower()
        leaked = [p for p in personal if p in lowered]
        if leaked:
            problems.append(f"line {number} carries personal data {leaked}: {line[:200]}")
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            problems.append(f"line {number} is not JSON: {line[:200]}")
            continue
        if not isinstance(entry, dict) or "event" not in entry or "level" not in entry:
            problems.append(f"line {number} has no event/level: {line[:200]}")
            continue
        if entry["event"] == "request":
            missing = [f for f in REQUEST_FIELDS if entry.get(f) in (None, "")]
            if missing:
                problems.append(f"line {number}: request line without {missing}: {line[:200]}")
    return problems
