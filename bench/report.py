"""The printed ratio table and the machine description stored with every run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from typing import Any

from bench.stack import REPO


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.stdout.strip() or None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info(postgres_version: str, wrk_version: str) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_gib": _mem_gib(),
        "python": sys.version.split()[0],
        "postgres": postgres_version,
        "wrk": wrk_version,
        "git_commit": _git_commit(),
        "packages": {
            p: _version(p) for p in ("fastapi", "uvicorn", "uvloop", "httptools", "asyncpg")
        },
    }


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _target(target: float | None) -> str:
    return f">= {target:g}" if target else ""


def table(results: list[dict[str, Any]]) -> str:
    """The ratio table: one row per scenario that ran, then the skipped ones with their reason."""
    head = (
        f"{'scenario':<14} {'arrears req/s':>13} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}"
        f" {'baseline req/s':>14} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'target':>7}"
    )
    lines = [head, "-" * len(head)]
    notes = []
    for r in results:
        if r["status"] != "ok":
            notes.append(f"{r['status']}: {r['name']} - {r['reason']}")
            continue
        a, b = r.get("arrears") or {}, r["baseline"]
        target = r.get("target")
        lines.append(
            f"{r['name']:<14} {_num(a.get('rps'), '.0f'):>13} {_num(a.get('p50_ms'), '.2f'):>7}"
            f" {_num(a.get('p99_ms'), '.2f'):>7} {_num(a.get('errors'), 'd'):>7}"
            f" {b['rps']:>14.0f} {b['p50_ms']:>7.2f} {b['p99_ms']:>7.2f}"
            f" {_num(r.get('ratio'), '.2f'):>6} {_target(target):>7}"
        )
        if r.get("after_check"):
            notes.append(f"note: {r['name']} after the load: {r['after_check']}")
        for side, figures in (("arrears", a), ("baseline", b)):
            if figures.get("errors"):
                notes.append(
                    f"note: {r['name']} {side} had {figures['errors']} errors"
                    f" ({figures['status_errors']} status >= 400, {figures['socket_errors']} socket)"
                    " - the ratio does not measure the intended path; see bench/results/*.log"
                )
    return "\n".join(lines + ([""] + notes if notes else []))


def ingest_table(ingest: dict[str, Any]) -> str:
    if ingest.get("status") != "ok":
        return f"ingest {ingest.get('status')}: {ingest.get('reason')}"
    lines = [f"ingest of {ingest['debts']:,} debts in batches of {ingest['batch_size']:,}:"]
    for side in ("arrears", "batch_copy", "raw_copy", "db_floor"):
        figures = ingest.get(side)
        if figures:
            cut = figures.get("batches_not_started")
            lines.append(
                f"  {side:<11} {figures['rows_per_s']:>10,.0f} rows/s"
                f"  ({figures['rows']:,} rows in {figures['seconds']:.2f} s,"
                f" {figures['errors']} errors{', stopped at the time limit' if cut else ''})"
            )
        elif side == "arrears":
            lines.append(f"  arrears     skipped: {ingest.get('arrears_reason')}")
    floor = ingest.get("db_floor") or {}
    if "postgres_cpu_us_per_row" in floor:
        lines.append(
            f"  db_floor: PostgreSQL CPU {floor['postgres_cpu_us_per_row']:,.0f} us per row, at most"
            f" {floor['postgres_cpu_bound_rows_per_s']:,} rows/s on this machine's cores"
        )
        lines.append(
            f"  db_floor: + the service's rows {floor['rows_build_cpu_us_per_row']:,.0f} us and the"
            f" driver {floor['client_cpu_us_per_row']:,.0f} us per row, at most"
            f" {floor['cpu_bound_rows_per_s']:,} rows/s"
        )
    for name, value in ingest.get("ratios", {}).items():
        lines.append(f"  {name:<28} {value:.2f}")
    return "\n".join(lines)
