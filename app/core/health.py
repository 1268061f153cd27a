"""Probes: /livez, /readyz, /metrics (no authentication)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from app.core.errors import problem
from app.core.metrics import metrics_endpoint

router = APIRouter(tags=["probes"])


def migrations_dir() -> Path:
    """The Alembic tree: $ARREARS_MIGRATIONS_DIR, else beside the source tree, else ./migrations."""
    candidates = [
        os.environ.get("ARREARS_MIGRATIONS_DIR"),
        Path(__file__).resolve().parents[2] / "migrations",
        Path.cwd() / "migrations",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "env.py").is_file():
            return Path(candidate)
    raise RuntimeError("migrations not found; set ARREARS_MIGRATIONS_DIR")


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


def schema_head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@router.get("/livez", summary="The process is up")
async def livez() -> dict[str, str]:
    """The process is up (no database access)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready to serve",
    responses={503: {"description": "Database unreachable, schema not at head, or shutting down"}},
)
async def readyz(request: Request) -> Response:
    """200 when the database answers and its schema is at the migrations' head, else 503."""
    state = request.app.state
    if getattr(state, "shutting_down", False):
        return problem(
            503, "not-ready", "Not ready", "Shutting down.", headers={"Retry-After": "1"}
        )
    try:
        async with state.engine.connect() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception:
        return problem(
            503,
            "not-ready",
            "Not ready",
            "Database unreachable or not migrated.",
            headers={"Retry-After": "1"},
        )
    if current != state.schema_head:
        return problem(
            503,
            "not-ready",
            "Not ready",
            "The schema is not at head; run `arrears migrate`.",
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "schema": current})


router.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
