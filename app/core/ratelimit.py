"""Per-key rate limiting: a token bucket per API key, 429 with `Retry-After` when it is empty.

The buckets live in the process, so with N replicas (or `--workers N`) a key may make up to N
times the configured rate. That is deliberate: the limit protects the service from one runaway
client, it guarantees nothing about the data, and a PostgreSQL-backed counter would add a write
(and a row lock every request of the key queues behind) to every request, the read paths
included. Nothing else depends on this state.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable

from app.core.errors import DomainError
from app.core.roles import Role

# Buckets idle for this long are full again anyway; forgetting them bounds the memory used.
_IDLE_S = 300.0
_PRUNE_EVERY = 1024


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"This API key is over its rate limit; retry in {retry_after} s.")
        self.headers = {"Retry-After": str(retry_after)}


class RateLimiter:
    """`per_minute` requests per key, in bursts of up to a minute's worth; 0 turns it off."""

    def __init__(
        self,
        per_minute: int,
        *,
        limit_admin: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.limit_admin = limit_admin
        self.clock = clock
        self._buckets: dict[uuid.UUID, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def applies_to(self, role: Role) -> bool:
        return self.capacity > 0 and (role is not Role.ADMIN or self.limit_admin)

    def take(self, key_id: uuid.UUID, role: Role) -> None:
        """Spend one token of `key_id`'s bucket, or raise RateLimited with the wait."""
        if not self.applies_to(role):
            return
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                raise RateLimited(max(1, math.ceil((1.0 - tokens) / self.rate)))
            self._buckets[key_id] = (tokens - 1.0, now)
            self._calls += 1
            if self._calls % _PRUNE_EVERY == 0:
                self._prune(now)

    def _prune(self, now: float) -> None:
        idle = [k for k, (_, last) in self._buckets.items() if now - last > _IDLE_S]
        for key in idle:
            del self._buckets[key]
