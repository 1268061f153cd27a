"""The services under test: databases, the Arrears server and the baseline server, as subprocesses.

Every server runs in its own process group and is stopped by its PID (SIGTERM to the group, then
SIGKILL) when the stack closes, also on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from bench import baseline_db

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ARREARS_DB = "arrears_bench"
BASELINE_DB = "arrears_bench_base"
HOST = "127.0.0.1"


def dsn_for(database: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + database


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def venv_bin(name: str) -> Path:
    return Path(sys.executable).parent / name


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server's process group by its PID: SIGTERM, then SIGKILL after `timeout`."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_server(name: str, cmd: list[str], env: dict[str, str], port: int) -> Server:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"{name}-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, port, log_path)


async def wait_http_ok(server: Server, path: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=server.url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            try:
                if (await client.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(
        f"{server.name}: GET {path} not 200 after {timeout_s}s:\n{server.log_tail()}"
    )


async def ensure_postgres() -> None:
    """Connect to PostgreSQL, starting the local cluster once if it is down."""
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
        if not versions:
            raise SystemExit(f"PostgreSQL unreachable at {PG_ADMIN_DSN}: {exc}") from exc
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
        print(f"PostgreSQL is down: running `{' '.join(cmd)}`", flush=True)
        subprocess.run(cmd, check=False, timeout=60)
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    await conn.close()


async def recreate_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@dataclass
class Stack:
    """Databases and servers of one bench run; `close()` stops whatever was started."""

    workers: int
    baseline_debts: int
    arrears_env: dict[str, str] = field(default_factory=dict)
    admin_key: str = field(default_factory=lambda: secrets.token_hex(24))
    arrears: Server | None = None
    baseline: Server | None = None

    @property
    def arrears_db_url(self) -> str:
        return dsn_for(ARREARS_DB).replace("postgresql://", "postgresql+asyncpg://", 1)

    @property
    def baseline_dsn(self) -> str:
        return dsn_for(BASELINE_DB)

    def close(self) -> None:
        for server in (self.arrears, self.baseline):
            if server is not None:
                server.stop()

    async def start_baseline(self) -> Server:
        await recreate_database(BASELINE_DB)
        conn = await asyncpg.connect(self.baseline_dsn)
        try:
            await baseline_db.create_schema(conn)
            await baseline_db.seed_debts(conn, self.baseline_debts)
        finally:
            await conn.close()
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "bench.baseline_app:app"]
        cmd += ["--host", HOST, "--port", str(port), "--workers", str(self.workers)]
        cmd += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        cmd += ["--log-level", "warning"]
        env = {**os.environ, "BASELINE_DATABASE_URL": self.baseline_dsn}
        self.baseline = start_server("baseline", cmd, env, port)
        await wait_http_ok(self.baseline, "/ping")
        return self.baseline

    def _arrears_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
        env.update(
            ARREARS_DATABASE_URL=self.arrears_db_url,
            ARREARS_BOOTSTRAP_ADMIN_KEY=self.admin_key,
            ARREARS_BACKGROUND="off",
            # wrk sends thousands of requests a second with one key: the per-key limit (600 a
            # minute by default) would answer 429. `--arrears-env ARREARS_RATE_LIMIT_PER_MINUTE=N`
            # measures with a limit.
            ARREARS_RATE_LIMIT_PER_MINUTE="0",
        )
        env.update(self.arrears_env)
        return env

    async def start_arrears(self) -> Server:
        # BENCH_ARREARS_BIN: another `arrears` executable (e.g. an install outside this venv).
        arrears = Path(os.environ.get("BENCH_ARREARS_BIN") or venv_bin("arrears"))
        if not arrears.exists():
            raise RuntimeError(
                f"{arrears} not found: install the service with `{venv_bin('pip')} install -e .`"
                " (or run with --baseline-only)"
            )
        await recreate_database(ARREARS_DB)
        env = self._arrears_env()
        RESULTS.mkdir(parents=True, exist_ok=True)
        migrate_log = RESULTS / "arrears-migrate.log"
        with migrate_log.open("wb") as log:
            done = subprocess.run(
                [str(arrears), "migrate"],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=180,
                check=False,
            )
        if done.returncode != 0:
            tail = migrate_log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"`arrears migrate` failed ({done.returncode}):\n{tail}")
        port = free_port()
        cmd = [str(arrears), "serve", "--host", HOST, "--port", str(port)]
        cmd += ["--workers", str(self.workers)]
        self.arrears = start_server("arrears", cmd, env, port)
        await wait_http_ok(self.arrears, "/livez")
        return self.arrears
