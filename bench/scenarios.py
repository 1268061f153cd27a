"""The scenario registry: each Arrears endpoint next to the baseline endpoint doing its bare work.

A scenario runs only when its Arrears route is in the running service's `GET /openapi.json`, so
later issues' scenarios sit here ready and start counting the day their endpoint lands. Add a
scenario by appending to SCENARIOS (seeding hooks live in `bench.seed`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bench import seed
from bench.items import debt_item
from bench.seed import SeedContext

# One request: (method, path, JSON body or "").
Req = tuple[str, str, str]
CHECK_INSERT_BODY = json.dumps({"channel": "email", "to": "debtor@example.com"})


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    arrears_method: str
    arrears_path: str  # OpenAPI path template; the scenario is skipped while it is absent
    baseline_endpoint: str  # for the table and the JSON report, e.g. "POST /check-insert"
    auth: str  # "none", "lender" or "agent": whose bearer key wrk sends to Arrears
    arrears_requests: Callable[[SeedContext], list[Req]]  # called after `seed`
    baseline_requests: Callable[[int], list[Req]]  # argument: baseline debt rows (ids 1..n)
    seed: Callable[[SeedContext], Awaitable[Any]] | None = None
    target: float | None = None  # minimum Arrears/baseline throughput ratio, from the issues
    issue: int | None = None
    # Checks one Arrears 2xx response body before and after the load: None, or what is wrong.
    check: Callable[[Any], str | None] | None = None

    def available(self, openapi_paths: Mapping[str, Mapping[str, Any]]) -> bool:
        wanted = _template(self.arrears_path)
        return any(
            _template(path) == wanted and self.arrears_method.lower() in operations
            for path, operations in openapi_paths.items()
        )


def _new_debt_body() -> str:
    """A debt with a new debtor; {{seq}} is made unique per request by the wrk script."""
    item = debt_item(0, prefix="post")
    item["external_ref"] = "post-D-{{seq}}"
    item["debtor"]["external_ref"] = "post-P-{{seq}}"
    return json.dumps(item)


def _allowed(decision: Any) -> str | None:
    if isinstance(decision, dict) and decision.get("decision") == "allow":
        return None
    return f"the decision is not an allow: {json.dumps(decision)[:300]}"


def _pool(ctx: SeedContext) -> list[dict[str, Any]]:
    return ctx.cache["debt_pool:bench"]


def _contact_body(debt: dict[str, Any]) -> str:
    return json.dumps({"channel": "email", "direction": "outbound", "to": debt["email"]})


def _evaluate_body(debt: dict[str, Any]) -> str:
    return json.dumps({"debt_id": debt["id"], "channel": "email", "to": debt["email"]})


async def _seed_pool_and_agent(ctx: SeedContext) -> None:
    await seed.debt_pool(ctx)
    await seed.agent(ctx)


SCENARIOS: list[Scenario] = [
    Scenario(
        name="livez",
        summary="liveness probe: routing, middleware, logging; no database",
        arrears_method="GET",
        arrears_path="/livez",
        baseline_endpoint="GET /ping",
        auth="none",
        arrears_requests=lambda ctx: [("GET", "/livez", "")],
        baseline_requests=lambda n: [("GET", "/ping", "")],
        issue=2,
    ),
    Scenario(
        name="lender_get",
        summary="read the caller's own lender with a lender key (auth + scope + PK select)",
        arrears_method="GET",
        arrears_path="/v1/lenders/{id}",
        baseline_endpoint="GET /row/{id}",
        auth="lender",
        seed=seed.lender,
        arrears_requests=lambda ctx: [
            ("GET", f"/v1/lenders/{ctx.cache['lender:bench']['id']}", "")
        ],
        baseline_requests=lambda n: [("GET", f"/row/{i}", "") for i in range(1, n + 1)],
        issue=2,
    ),
    Scenario(
        name="debt_get",
        summary="read one debt by id with a lender key (auth + tenant scope + PK select)",
        arrears_method="GET",
        arrears_path="/v1/debts/{id}",
        baseline_endpoint="GET /row/{id}",
        auth="lender",
        seed=seed.debt_pool,
        arrears_requests=lambda ctx: [("GET", f"/v1/debts/{d['id']}", "") for d in _pool(ctx)],
        baseline_requests=lambda n: [("GET", f"/row/{i}", "") for i in range(1, n + 1)],
        issue=4,
    ),
    Scenario(
        name="debt_post",
        summary="create one debt with a new embedded debtor (validation, upsert, timeline)",
        arrears_method="POST",
        arrears_path="/v1/debts",
        baseline_endpoint="POST /insert",
        auth="lender",
        seed=seed.lender,
        arrears_requests=lambda ctx: [("POST", "/v1/debts", _new_debt_body())],
        baseline_requests=lambda n: [("POST", "/insert", _new_debt_body())],
        issue=4,
    ),
    Scenario(
        name="contact_post",
        summary="record an outbound email contact, allowed path (lock, rules, decision, insert)",
        arrears_method="POST",
        arrears_path="/v1/debts/{id}/contacts",
        baseline_endpoint="POST /check-insert",
        auth="agent",
        seed=_seed_pool_and_agent,
        arrears_requests=lambda ctx: [
            ("POST", f"/v1/debts/{d['id']}/contacts", _contact_body(d)) for d in _pool(ctx)
        ],
        baseline_requests=lambda n: [("POST", "/check-insert", CHECK_INSERT_BODY)],
        target=0.3,
        issue=7,
        check=lambda body: _allowed(body.get("decision")),
    ),
    Scenario(
        name="evaluate",
        summary="evaluate an email contact now (rules over history, no side effects)",
        arrears_method="POST",
        arrears_path="/v1/compliance/evaluate",
        baseline_endpoint="POST /check-insert",
        auth="agent",
        seed=_seed_pool_and_agent,
        arrears_requests=lambda ctx: [
            ("POST", "/v1/compliance/evaluate", _evaluate_body(d)) for d in _pool(ctx)
        ],
        baseline_requests=lambda n: [("POST", "/check-insert", CHECK_INSERT_BODY)],
        target=0.4,
        issue=5,
        check=_allowed,
    ),
]


def by_name(names: list[str]) -> list[Scenario]:
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {sorted(known)}")
    return [known[n] for n in names]
