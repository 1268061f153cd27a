"""Request-scoped dependencies: the unit of work and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import unit_of_work

session_scope = asynccontextmanager(unit_of_work)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the response is built, else rolled back."""
    read_only = request.method in _READ_METHODS
    async with session_scope(request.app.state.sessionmaker, read_only=read_only) as session:
        request.state.session = session
        yield session


async def get_settings_dep(request: Request) -> Settings:
    """`async`: a plain `def` dependency would run in a worker thread."""
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
