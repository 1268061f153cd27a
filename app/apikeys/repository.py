"""Queries on API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentLender, AgentTier
from app.apikeys.models import ApiKey
from app.core.db import is_postgres
from app.core.pg import PgStatement
from app.core.roles import Role


async def find_active_by_prefix(
    session: AsyncSession, prefix: str
) -> tuple[ApiKey, Agent | None] | None:
    stmt = (
        select(ApiKey, Agent)
        .outerjoin(Agent, Agent.id == ApiKey.agent_id)
        .where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class Credential:
    """What authentication needs of an active key, read as plain columns."""

    key_id: uuid.UUID
    secret_hash: str
    role: Role
    lender_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    agent_tier: str | None
    agent_lender_ids: frozenset[uuid.UUID]


async def find_credential(session: AsyncSession, prefix: str) -> Credential | None:
    """The active key with this prefix, its agent's tier and lenders: one round trip, no entities.

    One row per lender the agent works for (one row with NULLs for other keys); the key is read
    afresh on every request, so a revocation takes effect on the next request on every replica.
    Every request runs it: on PostgreSQL it goes straight to the driver (`app.core.pg`).
    """
    rows: Sequence[Any]
    if is_postgres(session):
        rows = await _CREDENTIAL.fetch(session, {"prefix": prefix})
    else:
        rows = (await session.execute(_credential_query(prefix))).all()
    if not rows:
        return None
    head = rows[0]  # the same columns in the same order on both paths
    return Credential(
        key_id=head[0],
        secret_hash=head[1],
        role=Role(head[2]),
        lender_id=head[3],
        agent_id=head[4],
        agent_tier=AgentTier(head[5]).value if head[5] is not None else None,
        agent_lender_ids=frozenset(r[6] for r in rows if r[6] is not None),
    )


def _credential_query(prefix: str) -> Select[*tuple[Any, ...]]:
    return (
        select(
            ApiKey.id,
            ApiKey.secret_hash,
            ApiKey.role,
            ApiKey.lender_id,
            ApiKey.agent_id,
            Agent.tier,
            AgentLender.lender_id,
        )
        .outerjoin(Agent, Agent.id == ApiKey.agent_id)
        .outerjoin(AgentLender, AgentLender.agent_id == Agent.id)
        .where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    )


_CREDENTIAL = PgStatement(
    """
    SELECT k.id, k.secret_hash, k.role, k.lender_id, k.agent_id, a.tier, al.lender_id
    FROM api_keys k
    LEFT JOIN agents a ON a.id = k.agent_id
    LEFT JOIN agent_lenders al ON al.agent_id = a.id
    WHERE k.prefix = :prefix AND k.revoked_at IS NULL
    """
)


async def get(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


def list_query() -> Select[ApiKey]:
    return select(ApiKey)


def add(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    return key
