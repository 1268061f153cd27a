"""The tenant-isolation and role matrix, generated from the app's own routes.

Every `/v1` route is enumerated from the application, so a new route is covered (or makes these
tests fail until it is described here): another tenant's id answers 404 and changes nothing; lists
and stats never show another tenant's data; every role gets the documented 401/403 on every write
route, as `roles.PERMISSIONS` and the route's `authorize(...)` dependency say.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.roles import PERMISSIONS, Role
from tests.conftest import ADMIN
from tests.helpers import bearer, create_key
from tests.world import CLOCK, NOW, World, build_world

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_AUTHORIZERS = {f"authorize_{p.replace(':', '_')}": p for p in PERMISSIONS}
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")

# Routes that carry no bearer key at all, and why.
UNAUTHENTICATED = {
    (
        "POST",
        "/v1/webhooks/telecom/{source_id}",
    ): "signed by the source's secret (test_webhooks_inbound)",
}

# A valid body for each tenant-scoped write route that takes an id: only the tenant check may
# stop it. A new such route without an entry here fails test_another_tenants_ids_answer_404.
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("POST", "/v1/debtors/{debtor_id}/holds"): {"type": "cease_communication"},
    ("POST", "/v1/debtors/{debtor_id}/holds/{hold_id}/release"): None,
    ("POST", "/v1/debtors/{debtor_id}/consents"): {"type": "outside_hours", "given_at": NOW},
    ("POST", "/v1/debts/{debt_id}/contacts"): {"channel": "phone", "direction": "inbound"},
    ("PATCH", "/v1/contacts/{contact_id}"): {"outcome": "no_answer"},
    ("POST", "/v1/debts/{debt_id}/contacts/import"): {
        "items": [
            {"occurred_at": NOW, "channel": "phone", "direction": "outbound", "outcome": "busy"}
        ]
    },
    ("PATCH", "/v1/debts/{debt_id}"): {"group_key": "taken-over"},
    ("PATCH", "/v1/debtors/{debtor_id}"): {"name": "Taken Over"},
    ("POST", "/v1/debtors/{debtor_id}/contact-points"): {
        "channel": "email",
        "value": "intruder@example.com",
        "type": "personal",
    },
    ("PATCH", "/v1/debtors/{debtor_id}/contact-points/{point_id}"): {"status": "invalid"},
    ("POST", "/v1/debts/{debt_id}/payments"): {
        "amount_minor": 1,
        "currency": "USD",
        "paid_at": NOW,
        "external_ref": "intruder-pay",
    },
    ("POST", "/v1/debts/{debt_id}/plans"): {
        "kind": "installment",
        "installment_count": 2,
        "frequency": "monthly",
        "first_due_date": "2026-06-01",
    },
    ("POST", "/v1/plans/{plan_id}/approve"): None,
    ("POST", "/v1/plans/{plan_id}/cancel"): None,
    ("POST", "/v1/debts/{debt_id}/escalations"): {
        "to_level": "senior_collector",
        "reason": "manual",
    },
    ("POST", "/v1/escalations/{escalation_id}/approve"): None,
    ("POST", "/v1/escalations/{escalation_id}/reject"): None,
    ("POST", "/v1/escalations/{escalation_id}/complete"): None,
    ("DELETE", "/v1/webhook-endpoints/{endpoint_id}"): None,
}

# Operations that a role holding the permission may still be refused by rank (supervisors only).
SUPERVISOR_ONLY = {
    ("PATCH", "/v1/debts/{debt_id}"),
    ("POST", "/v1/plans/{plan_id}/approve"),
    ("POST", "/v1/escalations/{escalation_id}/approve"),
    ("POST", "/v1/escalations/{escalation_id}/reject"),
}

# Path parameters that name no tenant-owned object.
GLOBAL_PARAMETERS = {"code"}  # the built-in compliance profiles


def _permissions(dependant: Dependant) -> set[str]:
    found = set()
    name = getattr(dependant.call, "__name__", "")
    if name in _AUTHORIZERS:
        found.add(_AUTHORIZERS[name])
    for sub in dependant.dependencies:
        found |= _permissions(sub)
    return found


def api_routes(app: FastAPI) -> Iterator[tuple[str, str, str | None]]:
    """(method, path template, permission) for every /v1 operation of the app."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.path.startswith("/v1/"):
            continue
        permissions = _permissions(route.dependant)
        assert len(permissions) <= 1, f"{route.path}: several permissions {permissions}"
        for method in sorted(route.methods):
            if (method, route.path) not in UNAUTHENTICATED:
                assert permissions, f"{method} {route.path} has no authorize(...) dependency"
            # path_format: the template without convertors (`{debt_id:uuid}` → `{debt_id}`).
            yield method, route.path_format, next(iter(permissions), None)


def fill(path: str, ids: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: ids[m.group(1)], path)


def params(path: str) -> list[str]:
    return _PARAM.findall(path)


def attacker(world: World, permission: str) -> dict[str, str] | None:
    """The strongest key bound to `world`'s lender that holds `permission`, if any."""
    allowed = PERMISSIONS[permission]
    for role, key in ((Role.LENDER, "lender"), (Role.AGENT, "supervisor"), (Role.VIEWER, "viewer")):
        if role in allowed:
            return world.keys[key]
    return None


async def snapshot(http: httpx.AsyncClient, app: FastAPI, ids: dict[str, str]) -> dict[str, Any]:
    """Everything an admin can read about one tenant's objects, by every GET route with ids."""
    seen = {}
    for method, path, _ in api_routes(app):
        if method == "GET" and params(path):
            response = await http.get(fill(path, ids), headers={**ADMIN, **CLOCK})
            seen[path] = (response.status_code, response.json())
    return seen


async def test_another_tenants_ids_answer_404_and_change_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    a = await build_world(client, "acme")
    b = await build_world(client, "zeta")
    before = await snapshot(client, app, b.ids)
    checked = []
    for method, path, permission in api_routes(app):
        names = params(path)
        if not names or set(names) <= GLOBAL_PARAMETERS or (method, path) in UNAUTHENTICATED:
            continue
        assert permission is not None
        key = attacker(a, permission)
        if key is None:
            continue  # admin-only: no tenant key may call it at all (the role matrix checks 403)
        body = None
        if method in WRITE_METHODS:
            assert (method, path) in BODIES, f"describe {method} {path} in BODIES"
            body = BODIES[(method, path)]
        response = await client.request(
            method, fill(path, b.ids), json=body, headers={**key, **CLOCK}
        )
        assert response.status_code == 404, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        # And the same key reaches its own tenant's object (so the 404 above means "not yours").
        if method == "GET":
            own = await client.get(fill(path, a.ids), headers={**key, **CLOCK})
            assert own.status_code == 200, f"{method} {path} (own): {own.status_code} {own.text}"
        checked.append((method, path))
    assert len(checked) >= 30, checked
    assert await snapshot(client, app, b.ids) == before


async def _views(
    client: httpx.AsyncClient, app: FastAPI, world: World, other: World | None
) -> dict:
    """What each of `world`'s keys sees on every list and stats route (also naming `other`)."""
    seen = {}
    for method, path, _ in api_routes(app):
        if method != "GET" or params(path):
            continue
        for name in ("lender", "junior", "supervisor", "viewer"):
            query = [{}]
            if other is not None:
                query.append({"lender_id": other.ids["lender_id"]})
            for extra in query:
                response = await client.get(
                    path, params=extra, headers={**world.keys[name], **CLOCK}
                )
                seen[(path, name, bool(extra))] = (response.status_code, response.text)
    return seen


async def test_lists_and_stats_never_show_another_tenants_data(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    a = await build_world(client, "acme")
    alone = await _views(client, app, a, None)
    b = await build_world(client, "zeta")
    together = await _views(client, app, a, b)
    secrets = [*b.ids.values(), *b.key_ids.values(), *b.refs]
    secrets.remove(b.ids["code"])
    for (path, name, names_other), (status, text) in together.items():
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path} as {name}: {leaked}"
        if names_other:
            # Asking for the other lender by id is refused or narrowed to one's own data.
            assert status in (200, 403, 404, 422), f"{path} as {name}: {status} {text}"
        else:
            # B's arrival changed nothing A's keys see: not a row, not a count, not a sum.
            assert (status, text) == alone[(path, name, False)], f"{path} as {name}"


async def test_every_role_gets_the_documented_401_or_403_on_every_write_route(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    a = await build_world(client, "acme")
    unbound = bearer((await create_key(client, "viewer"))["key"])
    revoked_key = await create_key(client, "lender", lender_id=a.ids["lender_id"])
    gone = await client.delete(f"/v1/api-keys/{revoked_key['id']}", headers=ADMIN)
    assert gone.status_code == 204
    principals: dict[str, tuple[Role | None, dict[str, str]]] = {
        "admin": (Role.ADMIN, ADMIN),
        "lender": (Role.LENDER, a.keys["lender"]),
        "junior": (Role.AGENT, a.keys["junior"]),
        "supervisor": (Role.AGENT, a.keys["supervisor"]),
        "viewer": (Role.VIEWER, a.keys["viewer"]),
        "viewer-unbound": (Role.VIEWER, unbound),
        "no key": (None, {}),
        "revoked": (None, bearer(revoked_key["key"])),
    }
    checked = 0
    for method, path, permission in api_routes(app):
        if method not in WRITE_METHODS or (method, path) in UNAUTHENTICATED:
            continue
        assert permission is not None
        # Unknown ids: the role check must come before any lookup.
        url = fill(
            path, {n: "X" if n in GLOBAL_PARAMETERS else str(uuid.uuid4()) for n in params(path)}
        )
        body = BODIES.get((method, path), {})
        for name, (role, headers) in principals.items():
            response = await client.request(method, url, json=body, headers={**headers, **CLOCK})
            where = f"{method} {path} as {name}: {response.status_code} {response.text}"
            if role is None:
                assert response.status_code == 401, where
                assert response.headers["www-authenticate"] == "Bearer", where
            elif role not in PERMISSIONS[permission]:
                assert response.status_code == 403, where
                assert response.json()["type"] == "urn:arrears:problem:forbidden", where
            elif name == "junior" and (method, path) in SUPERVISOR_ONLY:
                assert response.status_code in (403, 404), where
            else:
                assert response.status_code not in (401, 403), where
            checked += 1
    assert checked >= 8 * 30
