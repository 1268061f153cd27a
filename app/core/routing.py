"""The APIRouter every /v1 module uses (idempotent POSTs, problem+json responses documented)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.core.idempotency import ArrearsRoute

PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}

COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request (bad JSON, bad header)", **PROBLEM},
    401: {"description": "Missing or invalid API key", **PROBLEM},
    403: {"description": "The role may not call this endpoint", **PROBLEM},
    422: {"description": "Invalid fields; `errors[].pointer` names them", **PROBLEM},
}


def v1_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/v1", tags=[tag], route_class=ArrearsRoute, responses=COMMON_ERRORS)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Extra documented problem responses for one operation."""
    described = {
        404: "Not found (or not yours)",
        409: "Conflict with the current state",
        413: "Body too large",
        415: "Body is not JSON",
        429: "Rate limited",
    }
    return {code: {"description": described.get(code, "Error"), **PROBLEM} for code in codes}
