"""What the engine answers: the decision with its reasons, warnings and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal


def rfc3339(instant: datetime) -> str:
    """An instant as RFC 3339 UTC with a `Z`."""
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    return instant.isoformat().replace("+00:00", "Z")


def _optional(instant: datetime | None) -> str | None:
    return None if instant is None else rfc3339(instant)


@dataclass(frozen=True, slots=True)
class Reason:
    """A failing rule; `clears_at` is null when nothing in time clears it."""

    code: str
    message: str
    clears_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"code": self.code, "message": self.message, "clears_at": _optional(self.clears_at)}


@dataclass(frozen=True, slots=True)
class Warning:  # shadows the builtin on purpose: a public API name
    """An informational code that never blocks."""

    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class CandidateZone:
    """A zone the request was checked in, with the local time there."""

    tz: str
    local_time: datetime
    source: str  # address | timezone | phone | default | profile

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; the local time keeps the zone's offset."""
        return {"tz": self.tz, "local_time": self.local_time.isoformat(), "source": self.source}


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for one request, with the evidence to replay it."""

    decision: Literal["allow", "block"]
    reasons: tuple[Reason, ...]
    warnings: tuple[Warning, ...]
    next_allowed_at: datetime | None
    candidate_zones: tuple[CandidateZone, ...]
    profiles: tuple[str, ...]
    counters: dict[str, dict[str, Any]]
    evaluated_at: datetime

    @property
    def allowed(self) -> bool:
        """True when the request may go ahead."""
        return self.decision == "allow"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (RFC 3339 instants)."""
        return {
            "decision": self.decision,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "warnings": [warning.to_dict() for warning in self.warnings],
            "next_allowed_at": _optional(self.next_allowed_at),
            "candidate_zones": [zone.to_dict() for zone in self.candidate_zones],
            "profiles": list(self.profiles),
            "counters": self.counters,
            "evaluated_at": rfc3339(self.evaluated_at),
        }
