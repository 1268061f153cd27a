"""Graceful stop for `arrears serve`: /readyz answers 503 from the first SIGTERM on.

On SIGTERM uvicorn stops accepting connections within 0.1 s, waits for the requests in flight
(up to its `timeout_graceful_shutdown`), and only then runs the lifespan shutdown. A load
balancer polling /readyz would learn of the stop only from refused connections. This hook,
installed by the lifespan inside uvicorn's own signal handling (so in every worker process),
marks the app as shutting down at once and hands the signal on to uvicorn after
`ARREARS_SHUTDOWN_DRAIN_S`: meanwhile requests are still served and /readyz answers 503, so the
balancer takes the replica out before it stops listening. SIGINT stops without the wait; a
repeated SIGTERM does not shorten it (a process group signalled as a whole, `--workers N`, has
each worker signalled twice: by the sender and by uvicorn's supervisor).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from fastapi import FastAPI

from app.core.logging import get_logger

log = get_logger("arrears.shutdown")

_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], Any]


def install_drain_hook(app: FastAPI, drain_s: float) -> Callable[[], None]:
    """Chain in front of the server's signal handlers; returns the function that removes it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    if not all(callable(handler) for handler in previous.values()):
        return lambda: None  # not under a server that handles the signals itself
    loop = asyncio.get_running_loop()
    pending: list[asyncio.TimerHandle] = []

    def hand_on(sig: int, frame: FrameType | None) -> None:
        handler = previous[signal.Signals(sig)]
        assert callable(handler)
        handler(sig, frame)

    def start_drain(sig: int) -> None:
        pending.append(loop.call_later(drain_s, hand_on, sig, None))

    def on_signal(sig: int, frame: FrameType | None) -> None:
        draining = getattr(app.state, "shutting_down", False)
        app.state.shutting_down = True
        if sig == signal.SIGTERM and drain_s > 0:
            if not draining:
                log.warning("shutdown_draining", seconds=drain_s)
                loop.call_soon_threadsafe(start_drain, sig)
            return
        for handle in pending:
            handle.cancel()
        hand_on(sig, frame)

    for sig in _SIGNALS:
        signal.signal(sig, on_signal)

    def uninstall() -> None:
        for handle in pending:
            handle.cancel()
        for sig, handler in previous.items():
            if signal.getsignal(sig) is on_signal:
                signal.signal(sig, handler)

    return uninstall
