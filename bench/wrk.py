"""Driving `wrk`: installing it when missing, running one bounded load, parsing its JSON report."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).parent / "lua" / "requests.lua"
INSTALL_HINT = "apt-get update && apt-get install -y wrk"
_RUN_IDS = itertools.count(1)


@dataclass(frozen=True)
class Load:
    threads: int
    connections: int
    duration_s: float
    timeout_s: float = 10.0  # a slower response counts as a socket error (timeout)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    status_errors: int  # HTTP status >= 400 (wrk's own counter)
    socket_errors: int  # connect, read, write errors and timeouts
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors


def ensure_wrk() -> str:
    """Path of wrk; installs the Debian package when running as root, else explains how."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"wrk is not installed: run `sudo sh -c '{INSTALL_HINT}'`")
    print(f"wrk is not installed: running `{INSTALL_HINT}`", flush=True)
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise SystemExit(f"`{' '.join(cmd)}` failed:\n{done.stderr[-2000:]}")
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(f"wrk still missing after install; try `{INSTALL_HINT}`")
    return found


def parse_report(stdout: str) -> WrkResult:
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{stdout[-2000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    lat = data["latency_us"]
    return WrkResult(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        status_errors=data["status_errors"],
        socket_errors=data["connect_errors"]
        + data["read_errors"]
        + data["write_errors"]
        + data["timeouts"],
        p50_ms=lat["p50"] / 1000,
        p99_ms=lat["p99"] / 1000,
        mean_ms=lat["mean"] / 1000,
        max_ms=lat["max"] / 1000,
    )


async def run_wrk(
    wrk: str, base_url: str, requests_file: Path, load: Load, *, bearer: str | None = None
) -> WrkResult:
    """One wrk run against base_url, bounded by its duration (killed if it overruns)."""
    duration = max(1, round(load.duration_s))
    cmd = [
        wrk,
        f"-t{load.threads}",
        f"-c{max(load.connections, load.threads)}",
        f"-d{duration}s",
        f"--timeout={load.timeout_s:g}s",
        "-s",
        str(LUA_SCRIPT),
        base_url,
        "--",
        str(requests_file),
        f"w{os.getpid()}r{next(_RUN_IDS)}",  # makes {{seq}} unique across this bench run
    ]
    env = {**os.environ, "WRK_BEARER": bearer or ""}
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=duration + 30)
    except (TimeoutError, asyncio.CancelledError):
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited {proc.returncode}: {err.decode()[-2000:]}")
    return parse_report(out.decode())


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "?"
