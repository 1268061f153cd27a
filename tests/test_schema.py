"""The migrations build exactly the models' schema; the committed OpenAPI document is current."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Uuid, column, insert, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.health import alembic_config
from app.debtors.models import ContactPoint
from app.main import create_app
from app.models import metadata
from tests.conftest import FreshDatabases, make_settings

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


async def test_migration_0010_fills_the_zones_of_stored_phones(
    fresh_databases: FreshDatabases,
) -> None:
    """Phones stored before `contact_points.time_zones` existed get their zones on upgrade."""
    url = await fresh_databases.create()
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0009")
    engine = create_async_engine(url)
    lender, debtor = uuid.uuid4(), uuid.uuid4()
    points = {uuid.uuid4(): ("phone", "+12085550134"), uuid.uuid4(): ("phone", "+18005550199"),
              uuid.uuid4(): ("email", "jane@example.com")}  # fmt: skip
    try:
        now = datetime(2026, 4, 1, tzinfo=UTC)
        stamps = {"created_at": now, "updated_at": now}
        lenders = table("lenders", *(column(c) for c in ("code", "name", "compliance_profiles",
                        "timezone", "max_discount_pct", "escalation_rules", *stamps)),
                        column("id", Uuid()))  # fmt: skip
        debtors = table("debtors", column("id", Uuid()), column("lender_id", Uuid()),
                        *(column(c) for c in ("external_ref", "kind", "name", *stamps)))  # fmt: skip
        contact_points = table("contact_points", column("id", Uuid()), column("lender_id", Uuid()),
                               column("debtor_id", Uuid()), *(column(c) for c in
                               ("channel", "value", "type", "status", *stamps)))  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(insert(lenders).values(
                id=lender, code="acme", name="Acme", compliance_profiles="[]", timezone="UTC",
                max_discount_pct=30, escalation_rules="[]", **stamps))  # fmt: skip
            await conn.execute(insert(debtors).values(
                id=debtor, lender_id=lender, external_ref="P-1", kind="person", name="Jane",
                **stamps))  # fmt: skip
            for point_id, (channel, value) in points.items():
                await conn.execute(insert(contact_points).values(
                    id=point_id, lender_id=lender, debtor_id=debtor, channel=channel, value=value,
                    type="cell", status="active", **stamps))  # fmt: skip
        await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
        async with engine.connect() as conn:
            stored = ContactPoint.__table__.c
            rows = (await conn.execute(select(stored.value, stored.time_zones))).all()
    finally:
        await engine.dispose()
    assert dict(rows) == {
        "+12085550134": ["America/Boise", "America/Los_Angeles"],
        "+18005550199": [],
        "jane@example.com": None,
    }
