"""Background duties: sweeps run by `arrears sweep`, by `arrears worker`, and inside `serve`.

Every duty must be safe to run in several replicas at once (row locks or SKIP LOCKED in the
database, never in-process state), because every replica runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import utcnow
from app.core.config import Settings, get_settings
from app.core.deps import session_scope
from app.core.logging import get_logger

log = get_logger("arrears.background")

SweepFn = Callable[[AsyncSession, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Sweep:
    name: str
    run: SweepFn


SWEEPS: list[Sweep] = []

LoopFn = Callable[
    [async_sessionmaker[AsyncSession], Settings, asyncio.Event], Coroutine[Any, Any, None]
]
# Long-running duties (outbox delivery) that poll on their own schedule until `stop` is set.
LOOPS: dict[str, LoopFn] = {}


def register_loop(name: str) -> Callable[[LoopFn], LoopFn]:
    """Add a duty that runs beside the sweeps in `arrears worker` and `arrears serve`."""

    def decorator(fn: LoopFn) -> LoopFn:
        LOOPS.setdefault(name, fn)
        return fn

    return decorator


def register_sweep(name: str) -> Callable[[SweepFn], SweepFn]:
    """Add a sweep step; each runs in its own transaction and reports how many rows it changed."""

    def decorator(fn: SweepFn) -> SweepFn:
        if all(s.name != name for s in SWEEPS):
            SWEEPS.append(Sweep(name, fn))
        return fn

    return decorator


async def run_sweeps(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> dict[str, int]:
    """Run every registered sweep once; one failing sweep does not stop the others."""
    results: dict[str, int] = {}
    for sweep in list(SWEEPS):
        try:
            async with session_scope(sessionmaker) as session:
                results[sweep.name] = await sweep.run(session, now or utcnow())
        except Exception as exc:
            log.error("sweep_failed", sweep=sweep.name, error=type(exc).__name__)
            results[sweep.name] = -1
    return results


async def run_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    interval_s: float,
    stop: asyncio.Event,
    settings: Settings | None = None,
) -> None:
    """The in-process scheduler of `arrears serve` and `arrears worker`: sweeps and loops."""
    loops = [
        asyncio.create_task(fn(sessionmaker, settings or get_settings(), stop), name=name)
        for name, fn in LOOPS.items()
    ]
    try:
        while not stop.is_set():
            results = await run_sweeps(sessionmaker)
            if any(results.values()):
                log.info("sweep", results=results)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                pass
    finally:
        stop.set()
        await asyncio.gather(*loops, return_exceptions=True)
