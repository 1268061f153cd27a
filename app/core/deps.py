"""Request-scoped dependencies: the unit of work and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import unit_of_work

session_scope = asynccontextmanager(unit_of_work)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READ_ONLY_MARK = "__arrears_read_only__"
F = TypeVar("F", bound=Callable[..., Any])


def read_only(endpoint: F) -> F:
    """Mark a POST endpoint that changes nothing (evaluate, the call list): its unit of work is
    read-only like a GET's (autocommit on PostgreSQL, a deferred BEGIN on SQLite). A request that
    carries an Idempotency-Key still gets a writing unit of work, to store the response."""
    setattr(endpoint, _READ_ONLY_MARK, True)
    return endpoint


def _is_read_only(request: Request) -> bool:
    if request.method in _READ_METHODS:
        return True
    route = request.scope.get("route")
    marked = getattr(getattr(route, "endpoint", None), _READ_ONLY_MARK, False)
    return bool(marked) and "idempotency-key" not in request.headers


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the response is built, else rolled back."""
    read_only = _is_read_only(request)
    async with session_scope(request.app.state.sessionmaker, read_only=read_only) as session:
        request.state.session = session
        yield session


async def get_settings_dep(request: Request) -> Settings:
    """`async`: a plain `def` dependency would run in a worker thread."""
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
