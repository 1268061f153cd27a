"""The migrations build exactly the models' schema; the committed OpenAPI document is current."""

from __future__ import annotations

import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.engine import Connection

from app.main import create_app
from app.models import metadata
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[1]


async def test_models_and_migrations_do_not_drift(app: FastAPI) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))

    async with app.state.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == [], f"run `alembic revision --autogenerate`: {differences}"


def test_committed_openapi_document_is_current(database_url: str) -> None:
    generated = create_app(make_settings(database_url)).openapi()
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(generated)), (
        "run `make openapi` and commit the result"
    )


def test_operation_ids_are_unique_and_stable(database_url: str) -> None:
    document = create_app(make_settings(database_url)).openapi()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert "create_lender" in ids
