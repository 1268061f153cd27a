"""PostgreSQL stopped under a serving `arrears serve`: /livez 200, /readyz 503, the API 503
problem+json with Retry-After, and recovery without a restart once PostgreSQL is back.

The test runs a private, throwaway PostgreSQL cluster (initdb on a free loopback port): the
shared server on 5432 is never touched.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN, DB_KIND, migrate
from tests.debts_helpers import debt_item
from tests.e2e.fault_helpers import counts, wait_for
from tests.helpers import assert_problem, create_lender
from tests.live_server import free_port, live_process

pytestmark = pytest.mark.skipif(
    DB_KIND != "postgres", reason="runs once, with the PostgreSQL suite (its own cluster)"
)


def _pg_bin() -> Path | None:
    candidates = [os.environ.get("ARREARS_TEST_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=50"
        )
        self.pg_ctl("-o", options, "-l", str(self.data.parent / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@pytest.fixture
def private_postgres() -> Iterator[Cluster]:
    pg_bin = _pg_bin()
    if pg_bin is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: PostgreSQL server binaries (initdb, pg_ctl) are required")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="arrears-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, user="postgres")
    cluster = Cluster(pg_bin, root / "data", free_port(), as_user)
    try:
        subprocess.run(
            [*as_user, str(pg_bin / "initdb"), "-D", str(cluster.data), "-A", "trust"]
            + ["-U", "postgres", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


async def _timed_get(http: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await http.get(path, headers=ADMIN)
    return response, time.monotonic() - started


async def test_postgres_stopped_while_serving_then_back_without_a_restart(
    private_postgres: Cluster,
) -> None:
    cluster = private_postgres
    await asyncio.to_thread(migrate, cluster.url)
    async with live_process(cluster.url) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            lender = await create_lender(http, "acme")
            created = await http.post(
                "/v1/debts", json={**debt_item("D-1"), "lender_id": lender["id"]}, headers=ADMIN
            )
            assert created.status_code == 201, created.text
            debt = created.json()
            for _ in range(3):  # several pooled connections that will all go stale
                assert (await http.get(f"/v1/debts/{debt['id']}", headers=ADMIN)).status_code == 200

            await asyncio.to_thread(cluster.stop, "immediate")

            assert (await http.get("/livez")).status_code == 200
            not_ready = await http.get("/readyz")
            assert_problem(not_ready, 503, "not-ready")
            assert not_ready.headers["retry-after"]
            for path in (
                f"/v1/debts/{debt['id']}",
                "/v1/debts",
                f"/v1/debtors/{debt['debtor_id']}",
            ):
                response, seconds = await _timed_get(http, path)
                assert_problem(response, 503, "service-unavailable")
                assert response.headers["retry-after"] == "1"
                assert seconds < 5, (path, seconds)
            refused = await http.post(
                "/v1/debts", json={**debt_item("D-2"), "lender_id": lender["id"]}, headers=ADMIN
            )
            assert_problem(refused, 503, "service-unavailable")
            assert refused.headers["retry-after"] == "1"

            await asyncio.to_thread(cluster.start)

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await wait_for(ready, "/readyz 200 after PostgreSQL is back", timeout_s=20)
            assert server.proc.poll() is None, "the service restarted"
            again = await http.get(f"/v1/debts/{debt['id']}", headers=ADMIN)
            assert again.status_code == 200, again.text
            assert again.json()["id"] == debt["id"]
            for n in range(3):  # every stale pooled connection is replaced, none answers 5xx
                listed = await http.get("/v1/debts", headers=ADMIN)
                assert listed.status_code == 200, listed.text
                posted = await http.post(
                    "/v1/debts",
                    json={**debt_item(f"D-after-{n}"), "lender_id": lender["id"]},
                    headers=ADMIN,
                )
                assert posted.status_code == 201, posted.text
    found = await counts(
        cluster.url,
        debts="SELECT count(*) FROM debts",
        refused="SELECT count(*) FROM debts WHERE external_ref = 'D-2'",
    )
    assert found == {"debts": 4, "refused": 0}
