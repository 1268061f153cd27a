"""The ASGI application: `create_app(settings)`, and `app` for `uvicorn app.main:app`."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.agents.router import router as agents_router
from app.apikeys import service as keys_service
from app.apikeys.router import router as keys_router
from app.assignment import service as _assignment_sweeps  # noqa: F401  (registers its sweep)
from app.compliance.holds_router import router as holds_router
from app.compliance.router import router as compliance_router
from app.contacts.router import router as contacts_router
from app.core import background
from app.core import sweeps as _core_sweeps  # noqa: F401  (registers the core sweeps)
from app.core.config import Background, Settings, get_settings
from app.core.crypto import DataCipher
from app.core.db import create_engine, create_sessionmaker
from app.core.deps import session_scope
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.health import schema_head
from app.core.logging import configure_logging, get_logger
from app.core.middleware import BodyGuardMiddleware, RequestContextMiddleware
from app.core.pagination import CursorCodec
from app.core.problem_schema import PROBLEM_SCHEMA
from app.core.ratelimit import RateLimiter
from app.core.shutdown import install_drain_hook
from app.debtors.router import router as debtors_router
from app.debts.router import router as debts_router
from app.escalations import auto as _escalation_sweeps  # noqa: F401  (registers its sweep)
from app.escalations.router import router as escalations_router
from app.lenders.router import router as lenders_router
from app.payments.router import router as payments_router
from app.plans.router import router as plans_router
from app.stats.router import router as stats_router
from app.webhooks import delivery as _webhook_delivery  # noqa: F401  (registers the delivery loop)
from app.webhooks.router import router as webhooks_router
from app.worklist.router import router as worklist_router

log = get_logger("arrears.app")

ROUTERS = [
    holds_router,
    compliance_router,
    contacts_router,
    lenders_router,
    agents_router,
    keys_router,
    debts_router,
    debtors_router,
    payments_router,
    plans_router,
    escalations_router,
    webhooks_router,
    stats_router,
    worklist_router,
]


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.schema_head = schema_head()
    app.state.shutting_down = False
    if settings.bootstrap_admin_key is not None:
        try:
            async with session_scope(app.state.sessionmaker) as session:
                await keys_service.ensure_bootstrap_admin(
                    session, settings.bootstrap_admin_key.get_secret_value()
                )
        except Exception as exc:  # an unmigrated database must not stop /livez and /readyz
            log.warning("bootstrap_admin_skipped", error=type(exc).__name__)
    uninstall_hook = (
        install_drain_hook(app, settings.shutdown_drain_s)
        if getattr(app.state, "drain_on_signal", False)
        else None
    )
    if getattr(app.state, "freeze_heap", False):
        # What startup built (modules, models, schemas, routes) lives as long as the process:
        # collect once, then move it out of the cyclic collector's sight, so a full collection
        # scans only what requests allocate. Without it a full collection walks ~200,000
        # startup objects (~120 ms) every few thousand requests: a third of a batch
        # ingestion's Python time (bench/README.md, "Where the time goes").
        gc.collect()
        gc.freeze()
    stop = asyncio.Event()
    task = None
    if app.state.run_background and settings.background is Background.ON:
        task = asyncio.create_task(
            background.run_forever(
                app.state.sessionmaker, settings.sweep_interval_s, stop, settings
            )
        )
    try:
        yield
    finally:
        app.state.shutting_down = True
        if uninstall_hook is not None:
            uninstall_hook()
        stop.set()
        if task is not None:
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        await engine.dispose()


def create_app(settings: Settings | None = None, *, run_background: bool = True) -> FastAPI:
    """Build the service for `settings` (the environment's when omitted)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Arrears",
        version="0.1.0",
        summary="Debt collection where no outreach is recorded unless the compliance rules allowed it.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.run_background = run_background
    app.state.cursor_codec = CursorCodec(settings.secret_key.get_secret_value())
    app.state.cipher = DataCipher(settings.data_key.get_secret_value())
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_per_minute, limit_admin=settings.rate_limit_admin
    )
    install_error_handlers(app)
    app.include_router(health_router)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(BodyGuardMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def create_served_app(settings: Settings | None = None) -> FastAPI:
    """The factory `arrears serve` runs: readiness goes 503 from the first SIGTERM on, and the
    startup heap is frozen out of the garbage collector's full collections."""
    app = create_app(settings)
    app.state.drain_on_signal = True
    app.state.freeze_heap = True
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        schema["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "An Arrears API key."}
        }
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/v1/") and not path.startswith("/v1/webhooks/"):
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def __getattr__(name: str) -> Any:
    # `uvicorn app.main:app` builds the app lazily, from the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
