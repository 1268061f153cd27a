"""`make fuzz`: Schemathesis against a real `arrears serve` and the committed OpenAPI document.

A fresh migrated database (SQLite by default, `ARREARS_TEST_DB=postgres` for PostgreSQL) is
seeded through the API with two lenders' worlds, so path parameters can name real objects; then
every operation is fuzzed with an admin, a lender and an agent key, with all checks: no 5xx, and
every status code, content type, header and body as the document says. Bounded: a fixed number
of examples per operation and a time budget per key. Afterwards the server's log is audited (JSON
lines, request ids, none of the seeded personal data). Exit status 0 only when all of it passed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx

from tests.conftest import ADMIN, drop_database, migrate, new_database_url
from tests.live_server import ROOT, live_server
from tests.log_audit import log_problems
from tests.world import build_world

SCHEMA = ROOT / "openapi" / "openapi.json"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Errors of the generator itself, not of the API: reported, but they do not fail the run.
TOOL_ERRORS = ("Cannot generate", "AST constructor recursion depth mismatch")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=8, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=1107, help="fixed, so CI runs are repeatable")
    parser.add_argument("--max-time", type=int, default=60, help="seconds per key")
    parser.add_argument("--roles", default="admin,lender,agent")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "var" / "fuzz")
    return parser.parse_args()


def _schemathesis(
    base: str, role: str, key: dict[str, str], args: argparse.Namespace, ids: Path
) -> int:
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        str(SCHEMA),
        "--url",
        base,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--max-time",
        str(args.max_time),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--header",
        f"Authorization:{key['Authorization']}",
        "--report",
        "junit",
        "--report-junit-path",
        str(args.report_dir / f"{role}.xml"),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "ARREARS_FUZZ_IDS": str(ids),
        "PYTHONPATH": str(ROOT),
    }
    print(f"== schemathesis as {role} ==", flush=True)
    started = time.monotonic()
    subprocess.call(command, cwd=args.report_dir, env=env)
    failures, errors = _verdict(args.report_dir / f"{role}.xml")
    print(
        f"== {role}: {len(failures)} failing operations, {len(errors)} generator errors "
        f"in {time.monotonic() - started:.0f} s ==",
        flush=True,
    )
    for name, message in errors:
        print(f"   generator error (not counted): {name}: {message[:120]}")
    return 1 if failures else 0


def _verdict(junit: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Operations with failed checks, and errors of the generator itself, from the JUnit report."""
    failures: list[str] = []
    tool_errors: list[tuple[str, str]] = []
    if not junit.is_file():
        return ["(no report: schemathesis did not finish)"], []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "?")
        if case.find("failure") is not None:
            failures.append(name)
        for error in case.findall("error"):
            message = (error.get("message") or "") + (error.text or "")
            if any(marker in message for marker in TOOL_ERRORS):
                tool_errors.append((name, message.strip()))
            else:
                failures.append(name)
    return failures, tool_errors


async def _fuzz(args: argparse.Namespace, database_url: str, workdir: Path) -> int:
    log_path = args.report_dir / "server.log"
    # The fuzzer sends thousands of requests with one key: lift the per-key limit.
    env = {"ARREARS_RATE_LIMIT_PER_MINUTE": "0", "ARREARS_LOG_LEVEL": "INFO"}
    async with live_server(database_url, env=env, log_path=log_path) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            world = await build_world(http, "acme")
            await build_world(http, "zeta")  # another tenant's data beside it
        ids = workdir / "ids.json"
        ids.write_text(json.dumps(world.ids))
        keys = {"admin": ADMIN, "lender": world.keys["lender"], "agent": world.keys["supervisor"]}
        codes = [_schemathesis(base, role, keys[role], args, ids) for role in args.roles.split(",")]
    # Thousands of hostile requests later, the log must still be JSON lines without personal data.
    problems = log_problems(log_path.read_text().splitlines())
    for problem in problems[:20]:
        print(f"log: {problem}")
    print(f"server log: {log_path} ({len(problems)} problems)")
    return max([*codes, 1 if problems else 0])


def main() -> int:
    args = _arguments()
    args.report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="arrears-fuzz-") as tmp:
        url, name = new_database_url(Path(tmp))
        try:
            migrate(url)
            return asyncio.run(_fuzz(args, url, Path(tmp)))
        finally:
            drop_database(name)


if __name__ == "__main__":
    sys.exit(main())
