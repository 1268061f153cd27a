"""RFC 9457 problem+json for every error the service can produce."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("arrears.errors")


def problem_type(slug: str) -> str:
    return f"urn:arrears:problem:{slug}"


class ProblemResponse(Response):
    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


class DomainError(Exception):
    """An error a service raises; it carries its own status and problem type."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def to_response(self) -> ProblemResponse:
        return problem(
            self.status, self.slug, self.title, self.detail, headers=self.headers, **self.extra
        )


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Missing or invalid credentials"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "This role may not do that"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class InvalidInput(DomainError):
    """A semantically invalid request: 422 with pointers to the offending fields."""

    status, slug, title = 422, "validation-error", "The request is not valid"

    def __init__(self, pointer: str, message: str, detail: str | None = None) -> None:
        super().__init__(detail or message, errors=[{"pointer": pointer, "message": message}])


class BadRequest(DomainError):
    status, slug, title = 400, "bad-request", "Bad request"


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", "Service temporarily unavailable"
    headers = {"Retry-After": "1"}


def json_pointer(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    """Turn a pydantic error location into (location kind, fragment JSON Pointer)."""
    parts = list(loc)
    where = (
        str(parts.pop(0)) if parts and parts[0] in ("body", "query", "path", "header") else "body"
    )
    tokens = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return where, "#/" + "/".join(tokens) if tokens else "#"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        where, pointer = json_pointer(err.get("loc", ()))
        # Only pydantic's message: never the submitted value ("input") or its context.
        entry: dict[str, Any] = {"pointer": pointer, "message": err.get("msg", "invalid")}
        if where != "body":
            entry["in"] = where
        errors.append(entry)
    return errors


async def _on_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(
            400, "malformed-json", "Malformed JSON", "The request body is not valid JSON."
        )
    return problem(
        422,
        "validation-error",
        "The request is not valid",
        "One or more fields are invalid; see errors.",
        errors=_validation_errors(exc),
    )


_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Missing or invalid credentials"),
    403: ("forbidden", "This role may not do that"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "The request is not valid"),
    429: ("rate-limited", "Too many requests"),
    503: ("service-unavailable", "Service temporarily unavailable"),
}


def _allowed_methods(request: Request) -> str:
    """The methods of the resource at this path (the router names only its first match's).

    The resource is the most specific template that matches: `/v1/debts/batch` rather than
    `/v1/debts/{debt_id}`.
    """
    by_template: dict[str, set[str]] = {}
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods = by_template.setdefault(getattr(route, "path", ""), set())
            methods.update(getattr(route, "methods", None) or ())
    if not by_template:
        return ""
    template = min(by_template, key=lambda path: path.count("{"))
    return ", ".join(sorted(by_template[template]))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("error", "Error"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else title
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem(exc.status_code, slug, title, detail, headers=headers)


async def _on_domain(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return exc.to_response()


async def _on_integrity(_request: Request, exc: Exception) -> Response:
    # A unique or foreign-key race lost against a concurrent writer: a state conflict.
    log.info("integrity conflict: %s", type(getattr(exc, "orig", exc)).__name__)
    return problem(
        409, "conflict", "Conflict with the current state", "A concurrent change conflicted."
    )


async def _on_database_down(_request: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    return ServiceUnavailable("The database is unavailable; retry shortly.").to_response()


def internal_error() -> ProblemResponse:
    return problem(500, "internal-error", "Internal server error", "An unexpected error occurred.")


async def _on_dbapi(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated:
        return await _on_database_down(request, exc)
    log.error("database error: %s", type(exc.orig).__name__)
    return internal_error()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DomainError, _on_domain)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(PoolTimeoutError, _on_database_down)
    app.add_exception_handler(OperationalError, _on_database_down)
    app.add_exception_handler(InterfaceError, _on_database_down)
    app.add_exception_handler(DBAPIError, _on_dbapi)
    app.add_exception_handler(ConnectionError, _on_database_down)
    # The few statements run straight on asyncpg (`app.core.pg`) raise its own exceptions.
    app.add_exception_handler(asyncpg.IntegrityConstraintViolationError, _on_integrity)
    app.add_exception_handler(asyncpg.QueryCanceledError, _on_database_down)
    app.add_exception_handler(asyncpg.PostgresConnectionError, _on_database_down)
    app.add_exception_handler(asyncpg.InterfaceError, _on_database_down)
