"""The debt status state machine (PRODUCT.md §4 Debts).

The system moves debts as plans, payments, disputes and escalations happen; people move them only
by PATCH, and only to the statuses their role may set. Anything else is 409.
"""

from __future__ import annotations

from app.core.auth import Principal
from app.core.errors import Conflict, Forbidden
from app.core.roles import Role
from app.debts.models import DebtStatus as S

COLLECTABLE = frozenset({S.ACTIVE, S.PROMISED, S.IN_PLAN, S.DISPUTED, S.ESCALATED, S.LEGAL})
TERMINAL = frozenset({S.PAID, S.SETTLED, S.WRITTEN_OFF, S.RECALLED, S.CLOSED})

_ENDINGS = {S.PAID, S.SETTLED, S.WRITTEN_OFF, S.RECALLED, S.CLOSED}
TRANSITIONS: dict[S, frozenset[S]] = {
    S.ACTIVE: frozenset({S.PROMISED, S.IN_PLAN, S.DISPUTED, S.ESCALATED, S.LEGAL} | _ENDINGS),
    S.PROMISED: frozenset({S.ACTIVE, S.IN_PLAN, S.DISPUTED, S.ESCALATED, S.LEGAL} | _ENDINGS),
    S.IN_PLAN: frozenset({S.ACTIVE, S.PROMISED, S.DISPUTED, S.ESCALATED, S.LEGAL} | _ENDINGS),
    S.DISPUTED: frozenset({S.ACTIVE, S.ESCALATED, S.LEGAL} | _ENDINGS - {S.SETTLED}),
    S.ESCALATED: frozenset({S.ACTIVE, S.PROMISED, S.IN_PLAN, S.DISPUTED, S.LEGAL} | _ENDINGS),
    S.LEGAL: frozenset({S.ESCALATED, S.PROMISED, S.IN_PLAN, S.DISPUTED} | _ENDINGS),
    # A balance raised again after payment in full reopens the debt.
    S.PAID: frozenset({S.ACTIVE, S.CLOSED}),
    S.SETTLED: frozenset({S.CLOSED}),
    S.WRITTEN_OFF: frozenset({S.CLOSED}),
    S.RECALLED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# What each role may set by PATCH /v1/debts/{id}.
_SETTABLE: dict[Role, frozenset[S]] = {
    Role.ADMIN: frozenset({S.RECALLED, S.CLOSED, S.WRITTEN_OFF}),
    Role.LENDER: frozenset({S.RECALLED}),
}
_SUPERVISOR_SETTABLE = frozenset({S.CLOSED, S.WRITTEN_OFF})


class IllegalTransition(Conflict):
    slug, title = "illegal-status-transition", "This status change is not allowed"


def check_transition(current: S, target: S) -> None:
    """409 unless the state machine allows current → target."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"A debt cannot go from {current.value} to {target.value}.")


def check_settable(principal: Principal, target: S) -> None:
    """403 unless the caller's role may set `target` by hand."""
    allowed = _SETTABLE.get(principal.role, frozenset())
    if principal.role is Role.AGENT and principal.is_supervisor:
        allowed = _SUPERVISOR_SETTABLE
    if target not in allowed:
        raise Forbidden(f"The {principal.role.value} role may not set status {target.value}.")


def after_balance_change(current: S, owed: int) -> S | None:
    """The status a change of what is owed implies, if any."""
    if owed <= 0 and current in COLLECTABLE:
        return S.PAID
    if owed > 0 and current is S.PAID:
        return S.ACTIVE
    return None
