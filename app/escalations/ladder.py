"""The escalation ladder (PRODUCT.md §4 Escalations): levels, allowed steps, approvals, debt status.

Pure data and functions: no session, no clock.
"""

from __future__ import annotations

from enum import StrEnum

from app.debts.models import DebtStatus


class Level(StrEnum):
    COLLECTOR = "collector"
    SENIOR_COLLECTOR = "senior_collector"
    SUPERVISOR = "supervisor"
    LEGAL_NOTICE = "legal_notice"
    LITIGATION = "litigation"
    ARBITRATION = "arbitration"
    ASSET_PRESERVATION = "asset_preservation"
    EXTERNAL_AGENCY = "external_agency"
    WRITE_OFF = "write_off"


L = Level
# The legal levels: from these, no placement with an external agency.
LEGAL_LEVELS = frozenset({L.LEGAL_NOTICE, L.LITIGATION, L.ARBITRATION, L.ASSET_PRESERVATION})
# At these the rules service blocks direct outreach (LITIGATION_HOLD), letters excepted.
HOLD_LEVELS = frozenset({L.LITIGATION, L.ARBITRATION, L.ASSET_PRESERVATION})
NON_LEGAL = frozenset({L.COLLECTOR, L.SENIOR_COLLECTOR, L.SUPERVISOR})
# A level nothing follows (write-off ends the debt).
FINAL = frozenset({L.WRITE_OFF})

# to_level → the levels it may be requested from.
REQUESTABLE_FROM: dict[Level, frozenset[Level]] = {
    L.SENIOR_COLLECTOR: frozenset({L.COLLECTOR}),
    L.SUPERVISOR: frozenset({L.COLLECTOR, L.SENIOR_COLLECTOR}),
    L.LEGAL_NOTICE: frozenset({L.SUPERVISOR}),
    L.LITIGATION: frozenset({L.LEGAL_NOTICE}),
    L.ARBITRATION: frozenset({L.LEGAL_NOTICE}),
    L.ASSET_PRESERVATION: frozenset({L.LITIGATION, L.ARBITRATION}),
    L.EXTERNAL_AGENCY: NON_LEGAL,
    L.WRITE_OFF: frozenset(set(Level) - FINAL),
}

NEEDS_APPROVAL = frozenset(
    {
        L.LEGAL_NOTICE,
        L.LITIGATION,
        L.ARBITRATION,
        L.ASSET_PRESERVATION,
        L.EXTERNAL_AGENCY,
        L.WRITE_OFF,
    }
)

DEBT_STATUS: dict[Level, DebtStatus] = {
    L.COLLECTOR: DebtStatus.ACTIVE,
    L.SENIOR_COLLECTOR: DebtStatus.ESCALATED,
    L.SUPERVISOR: DebtStatus.ESCALATED,
    L.LEGAL_NOTICE: DebtStatus.LEGAL,
    L.LITIGATION: DebtStatus.LEGAL,
    L.ARBITRATION: DebtStatus.LEGAL,
    L.ASSET_PRESERVATION: DebtStatus.LEGAL,
    L.EXTERNAL_AGENCY: DebtStatus.ESCALATED,
    L.WRITE_OFF: DebtStatus.WRITTEN_OFF,
}


def may_step(current: str, target: Level) -> bool:
    """True when `target` may be requested from the level `current`."""
    return current in REQUESTABLE_FROM.get(target, frozenset())


def next_levels(current: str) -> list[Level]:
    """The levels that may be requested from `current`, in ladder order."""
    return [level for level in Level if may_step(current, level)]
