"""Roles and the one table saying which role may do what."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LENDER = "lender"
    AGENT = "agent"
    VIEWER = "viewer"


A, L, G, V = Role.ADMIN, Role.LENDER, Role.AGENT, Role.VIEWER

# PRODUCT.md §3 "Roles". Admin may do everything; anything not listed for a role is 403.
# Data scoping (which lender's rows) is separate: every query is filtered by the principal.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "lenders:list": frozenset({A, V}),
    "lenders:read": frozenset({A, V, L}),
    "lenders:write": frozenset({A}),
    "agents:read": frozenset({A, V}),
    "agents:write": frozenset({A}),
    "keys:read": frozenset({A}),
    "keys:write": frozenset({A}),
    "debts:read": frozenset({A, L, G, V}),
    "debts:write": frozenset({A, L}),
    "debts:patch": frozenset({A, L, G}),
    "debtors:read": frozenset({A, L, G, V}),
    "debtors:write": frozenset({A, L}),
    "payments:read": frozenset({A, L, G, V}),
    "payments:write": frozenset({A, L}),
    "contacts:read": frozenset({A, L, G, V}),
    "contacts:write": frozenset({A, G}),
    "contacts:import": frozenset({A, L}),
    "holds:read": frozenset({A, L, G, V}),
    "holds:write": frozenset({A, L, G}),
    "compliance:read": frozenset({A, L, G, V}),
    "compliance:evaluate": frozenset({A, G}),
    "compliance:configure": frozenset({A}),
    "decisions:read": frozenset({A, L, G, V}),
    "plans:read": frozenset({A, L, G, V}),
    "plans:write": frozenset({A, G}),
    "plans:approve": frozenset({A, G}),
    "escalations:read": frozenset({A, L, G, V}),
    "escalations:write": frozenset({A, G}),
    "escalations:approve": frozenset({A, G}),
    "worklist:read": frozenset({A, G}),
    "stats:read": frozenset({A, L, V}),
    "webhook_sources:read": frozenset({A, V}),
    "webhook_sources:write": frozenset({A}),
    "webhook_endpoints:read": frozenset({A, L, V}),
    "webhook_endpoints:write": frozenset({A, L}),
}
