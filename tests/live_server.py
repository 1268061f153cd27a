"""A real `arrears serve` process on a free loopback port, for tests that need real workers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ADMIN_KEY

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base: str
    proc: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid


@asynccontextmanager
async def live_server(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> AsyncIterator[str]:
    """Start `arrears serve`, wait until /readyz answers 200, yield its base URL, stop it by PID."""
    async with live_process(database_url, workers=workers, env=env, log_path=log_path) as server:
        yield server.base


@asynccontextmanager
async def live_process(
    database_url: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    ready_timeout_s: float = 30,
) -> AsyncIterator[LiveServer]:
    """`live_server` yielding the process too (for signals); killed by PID if still running."""
    port = free_port()
    environment = {
        **os.environ,
        "ARREARS_DATABASE_URL": database_url,
        "ARREARS_ENV": "test",
        "ARREARS_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "ARREARS_BACKGROUND": "off",
        "ARREARS_LOG_LEVEL": "WARNING",
        "ARREARS_SHUTDOWN_DRAIN_S": "0",
        **(env or {}),
    }
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout_s
        async with httpx.AsyncClient(base_url=base, timeout=2) as http:
            while True:
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"arrears serve did not become ready (exit {proc.poll()})")
                await asyncio.sleep(0.1)
        yield LiveServer(base, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()
