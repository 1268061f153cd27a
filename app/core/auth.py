"""Bearer API keys: parsing, hashing, the principal, and the authorisation dependency."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from app.apikeys import repository as keys_repository
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.roles import PERMISSIONS, Role

_KEY_FORMAT = re.compile(r"^ark_([A-Za-z0-9]{12})_([A-Za-z0-9]{32,64})$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def generate_key() -> str:
    """A new secret: `ark_<12-char public prefix>_<32-char secret>`."""
    return f"ark_{_random(12)}_{_random(32)}"


def key_prefix(key: str) -> str:
    """The non-secret lookup prefix; keys in another format (a chosen bootstrap key) get a derived one."""
    match = _KEY_FORMAT.match(key)
    if match:
        return match.group(1)
    return "h" + hashlib.sha256(b"prefix:" + key.encode()).hexdigest()[:11]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


@dataclass(frozen=True)
class Principal:
    """Who is calling, and which lenders' data they may see."""

    key_id: uuid.UUID
    role: Role
    lender_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    agent_tier: str | None = None
    agent_lender_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def lender_scope(self) -> frozenset[uuid.UUID] | None:
        """The lenders whose rows this principal may see; None means every lender."""
        if self.role is Role.ADMIN:
            return None
        if self.role is Role.AGENT:
            return self.agent_lender_ids
        if self.lender_id is not None:
            return frozenset({self.lender_id})
        return None if self.role is Role.VIEWER else frozenset()

    def sees_lender(self, lender_id: uuid.UUID) -> bool:
        scope = self.lender_scope
        return scope is None or lender_id in scope

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.ADMIN or (
            self.role is Role.AGENT and self.agent_tier == "supervisor"
        )

    @property
    def tenant(self) -> str:
        """The tenant this credential acts for: idempotency keys and cursors are scoped by it."""
        if self.role is Role.ADMIN:
            return "admin"
        if self.role is Role.AGENT:
            return f"agent:{self.agent_id}"
        if self.lender_id is not None:
            return f"{self.role.value}:{self.lender_id}"
        return f"{self.role.value}:key:{self.key_id}"


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Send `Authorization: Bearer <key>`.")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        raise Unauthorized("Send `Authorization: Bearer <key>`.")
    return token


async def get_principal(request: Request, session: SessionDep) -> Principal:
    """Authenticate the bearer key (401 when missing, unknown or revoked), then rate-limit it."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = _bearer(request)
    found = await keys_repository.find_credential(session, key_prefix(token))
    if found is None or not key_matches(token, found.secret_hash):
        raise Unauthorized("The API key is not valid.")
    principal = Principal(
        key_id=found.key_id,
        role=found.role,
        lender_id=found.lender_id,
        agent_id=found.agent_id,
        agent_tier=found.agent_tier,
        agent_lender_ids=found.agent_lender_ids,
    )
    request.state.principal = principal
    request.state.principal_id = str(found.key_id)
    request.app.state.rate_limiter.take(found.key_id, found.role)
    return principal


def authorize(permission: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that authenticates and then checks the role table for `permission`."""
    allowed = PERMISSIONS[permission]

    # One dependency level (not a sub-dependency on get_principal): each level costs FastAPI
    # tens of microseconds per request; get_principal keeps its answer in request.state.
    async def dependency(request: Request, session: SessionDep) -> Principal:
        principal = await get_principal(request, session)
        if principal.role not in allowed:
            raise Forbidden(f"The {principal.role.value} role may not do this.")
        return principal

    dependency.__name__ = f"authorize_{permission.replace(':', '_')}"
    return dependency
