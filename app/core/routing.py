"""The APIRouter every /v1 module uses (idempotent POSTs, problem+json responses documented)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.dependencies.models import Dependant
from starlette.responses import Response

from app.core.errors import InvalidInput
from app.core.idempotency import ArrearsRoute

PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}

COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request (bad JSON, bad header)", **PROBLEM},
    401: {"description": "Missing or invalid API key", **PROBLEM},
    403: {"description": "The role may not call this endpoint", **PROBLEM},
    422: {"description": "Invalid fields; `errors[].pointer` names them", **PROBLEM},
    429: {"description": "This API key is over its rate limit; see `Retry-After`", **PROBLEM},
    503: {"description": "Database unavailable or overloaded; see `Retry-After`", **PROBLEM},
}

# What the body guard (413, 415) and the Idempotency-Key guard (409 while a key is in flight)
# may answer, documented on every operation they apply to.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "Body too large", **PROBLEM},
    415: {"description": "Body is not JSON", **PROBLEM},
}
IDEMPOTENCY_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Conflict with the current state, or the Idempotency-Key is in flight",
        **PROBLEM,
    },
}


class V1Route(ArrearsRoute):
    """ArrearsRoute whose documented responses include what the shared guards may answer."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in (kwargs.get("methods") or ())}
        extra: dict[int | str, dict[str, Any]] = {}
        if methods & {"POST", "PUT", "PATCH", "DELETE"}:
            extra.update(BODY_ERRORS)
        if "POST" in methods and not path.startswith(self.skip_prefixes):
            extra.update(IDEMPOTENCY_ERRORS)
        kwargs["responses"] = {**extra, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)
        self.query_names = frozenset(_query_names(self.dependant))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            # Like unknown body fields, an unknown (often misspelt) query parameter is refused,
            # rather than silently widening a list to everything.
            for name in request.query_params:
                if name not in self.query_names:
                    raise InvalidInput(f"#/{name}", "Unknown query parameter.")
            return await handler(request)

        return route_handler


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def v1_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/v1", tags=[tag], route_class=V1Route, responses=COMMON_ERRORS)


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
