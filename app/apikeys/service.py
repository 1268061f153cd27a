"""Issuing and revoking API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.agents import repository as agents_repository
from app.apikeys import repository
from app.apikeys.models import ApiKey
from app.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from app.core.auth import generate_key, hash_key, key_prefix
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.core.roles import Role
from app.lenders import repository as lenders_repository


class ApiKeyNotFound(NotFound):
    title = "API key not found"


async def _check_binding(session: AsyncSession, command: ApiKeyCreate) -> None:
    role = command.role
    if role is Role.LENDER and command.lender_id is None:
        raise InvalidInput("#/lender_id", "A lender key needs lender_id.")
    if role is Role.AGENT and command.agent_id is None:
        raise InvalidInput("#/agent_id", "An agent key needs agent_id.")
    if command.lender_id is not None and role not in (Role.LENDER, Role.VIEWER):
        raise InvalidInput("#/lender_id", f"A {role.value} key is not bound to a lender.")
    if command.agent_id is not None and role is not Role.AGENT:
        raise InvalidInput("#/agent_id", f"A {role.value} key is not bound to an agent.")
    if (
        command.lender_id is not None
        and await lenders_repository.get(session, command.lender_id) is None
    ):
        raise InvalidInput("#/lender_id", "No such lender.")
    if (
        command.agent_id is not None
        and await agents_repository.get(session, command.agent_id) is None
    ):
        raise InvalidInput("#/agent_id", "No such agent.")


async def create_key(
    session: AsyncSession, command: ApiKeyCreate, *, secret: str | None = None
) -> ApiKeyCreated:
    """A new key; the secret is returned here and never again."""
    await _check_binding(session, command)
    secret = secret or generate_key()
    key = repository.add(
        session,
        ApiKey(
            prefix=key_prefix(secret),
            secret_hash=hash_key(secret),
            role=command.role,
            name=command.name,
            lender_id=command.lender_id,
            agent_id=command.agent_id,
        ),
    )
    await session.flush()
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=secret)


async def revoke_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    key = await repository.get(session, key_id)
    if key is None or key.revoked_at is not None:
        raise ApiKeyNotFound()
    key.revoked_at = now
    await session.flush()


async def ensure_bootstrap_admin(session: AsyncSession, secret: str) -> None:
    """Make sure an active admin key with exactly this secret exists."""
    found = await repository.find_active_by_prefix(session, key_prefix(secret))
    if (
        found is not None
        and found[0].secret_hash == hash_key(secret)
        and found[0].role is Role.ADMIN
    ):
        return
    if found is not None:
        found[0].revoked_at = found[0].created_at  # a stale key under the same prefix
        await session.flush()
    await create_key(session, ApiKeyCreate(role=Role.ADMIN, name="bootstrap admin"), secret=secret)


async def list_keys(session: AsyncSession, page: PageRequest) -> tuple[list[ApiKeyOut], str | None]:
    keys, next_cursor = await page.fetch(
        session, repository.list_query(), ApiKey.created_at, ApiKey.id
    )
    return [ApiKeyOut.model_validate(k) for k in keys], next_cursor
