"""What the engine is told about one proposed outreach: plain frozen dataclasses, UTC instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from app.rules.lender_rules import LenderRule


@dataclass(frozen=True, slots=True)
class Address:
    """A debtor's postal address, as far as the rules need it."""

    country: str | None = None
    subdivision: str | None = None
    city: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, slots=True)
class InconvenientTime:
    """A debtor-designated inconvenient time: `days` are "mon".."sun"; `end` before `start` wraps."""

    days: tuple[str, ...]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class HistoryContact:
    """One past contact with the debtor; `debt_ids` holds its debt plus its also_debt_ids."""

    id: str
    occurred_at: datetime
    channel: str
    direction: str
    outcome: str
    debt_ids: frozenset[str]
    destination: str | None = None
    destination_type: str | None = None
    purpose: str = "collection"
    source: str = "live"


@dataclass(frozen=True, slots=True)
class HoldState:
    """A hold; `destination` is the contact point value when the hold names one."""

    id: str
    type: str
    debt_id: str | None
    channel: str | None
    destination: str | None
    starts_at: datetime
    ends_at: datetime | None = None
    released_at: datetime | None = None
    opt_out_confirmations_used: int = 0


@dataclass(frozen=True, slots=True)
class ConsentState:
    """A consent: `direct_prior_consent` (Reg F) or `outside_hours` (China night hours)."""

    id: str
    type: str
    channel: str | None
    debt_id: str | None
    given_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationContext:
    """Everything the engine needs to decide one request at instant `at`."""

    at: datetime
    debt_id: str
    debt_status: str = "active"
    escalation_level: str = "collector"
    group_debt_ids: frozenset[str] = frozenset()
    debtor_kind: str = "person"
    address: Address | None = None
    debtor_timezone: str | None = None
    inconvenient_times: tuple[InconvenientTime, ...] = ()
    channel: str
    purpose: str = "collection"
    destination: str | None = None
    destination_type: str | None = None
    destination_status: str | None = None
    # The destination's zones as stored with its contact point (`phone_zones` of the number);
    # None: found from the number here.
    destination_zones: tuple[str, ...] | None = None
    profiles: tuple[str, ...] = ()
    lender_rules: tuple[LenderRule, ...] = ()
    holds: tuple[HoldState, ...] = ()
    consents: tuple[ConsentState, ...] = ()
    history: tuple[HistoryContact, ...] = ()

    @property
    def debt_group(self) -> frozenset[str]:
        """The debts counted as one with this debt (its group, always including itself)."""
        if self.debt_id in self.group_debt_ids:
            return self.group_debt_ids
        return self.group_debt_ids | {self.debt_id}
