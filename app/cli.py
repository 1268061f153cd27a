"""`arrears` command line: serve | migrate | create-key | sweep | worker | openapi | demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from app.core.config import Settings, get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "app.main:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
        server_header=False,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from alembic import command

    from app.core.health import alembic_config

    settings = get_settings()
    command.upgrade(alembic_config(settings.database_url), "head")
    print("database at head", file=sys.stderr)
    return 0


async def _create_key(settings: Settings, args: argparse.Namespace) -> str:
    import uuid

    from app.apikeys import service as keys_service
    from app.apikeys.schemas import ApiKeyCreate
    from app.core.db import create_engine, create_sessionmaker
    from app.core.deps import session_scope
    from app.core.roles import Role
    from app.lenders import repository as lenders_repository

    engine = create_engine(settings)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            lender_id = None
            if args.lender:
                lender = await lenders_repository.get_by_code(session, args.lender)
                if lender is None:
                    raise SystemExit(f"no lender with code {args.lender!r}")
                lender_id = lender.id
            command = ApiKeyCreate(
                role=Role(args.role),
                name=args.name or f"{args.role} key (cli)",
                lender_id=lender_id,
                agent_id=uuid.UUID(args.agent) if args.agent else None,
            )
            created = await keys_service.create_key(session, command)
            return created.key
    finally:
        await engine.dispose()


def _create_key_cmd(args: argparse.Namespace) -> int:
    from app.core.errors import DomainError

    try:
        key = asyncio.run(_create_key(get_settings(), args))
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(key)
    return 0


async def _sweep(settings: Settings) -> dict[str, int]:
    from app.core.background import run_sweeps
    from app.core.db import create_engine, create_sessionmaker
    from app.main import create_app

    create_app(settings)  # imports every domain, so every sweep is registered
    engine = create_engine(settings)
    try:
        return await run_sweeps(create_sessionmaker(engine))
    finally:
        await engine.dispose()


def _sweep_cmd(_args: argparse.Namespace) -> int:
    results = asyncio.run(_sweep(get_settings()))
    print(json.dumps(results, sort_keys=True))
    return 1 if any(v < 0 for v in results.values()) else 0


async def _worker(settings: Settings) -> None:
    from app.core.background import run_forever
    from app.core.db import create_engine, create_sessionmaker
    from app.main import create_app

    create_app(settings)
    engine = create_engine(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_forever(create_sessionmaker(engine), settings.sweep_interval_s, stop, settings)
    finally:
        await engine.dispose()


def _worker_cmd(_args: argparse.Namespace) -> int:
    asyncio.run(_worker(get_settings()))
    return 0


def write_openapi(path: Path) -> None:
    from app.main import create_app

    document = create_app(Settings()).openapi()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _openapi_cmd(args: argparse.Namespace) -> int:
    write_openapi(Path(args.output))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


async def _demo(settings: Settings, debts: int) -> dict[str, object]:
    from app.core.clock import utcnow
    from app.core.crypto import DataCipher
    from app.core.db import create_engine, create_sessionmaker
    from app.demo import create_demo
    from app.main import create_app

    create_app(settings)
    engine = create_engine(settings)
    try:
        return await create_demo(
            create_sessionmaker(engine),
            debts,
            now=utcnow(),
            cipher=DataCipher(settings.data_key.get_secret_value()),
            secret=settings.secret_key.get_secret_value(),
        )
    finally:
        await engine.dispose()


def _demo_cmd(args: argparse.Namespace) -> int:
    result = asyncio.run(_demo(get_settings(), args.debts))
    print(json.dumps(result, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arrears", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API and the background duties")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="upgrade the database schema to head").set_defaults(
        func=_migrate
    )
    key = sub.add_parser("create-key", help="issue an API key and print it once")
    key.add_argument("--role", required=True, choices=["admin", "lender", "agent", "viewer"])
    key.add_argument("--lender", help="lender code (lender and viewer keys)")
    key.add_argument("--agent", help="agent id (agent keys)")
    key.add_argument("--name")
    key.set_defaults(func=_create_key_cmd)
    sub.add_parser("sweep", help="run every background sweep once").set_defaults(func=_sweep_cmd)
    sub.add_parser("worker", help="run the background duties without serving HTTP").set_defaults(
        func=_worker_cmd
    )
    demo = sub.add_parser("demo", help="create a demo lender, keys and debts to explore the API")
    demo.add_argument("--debts", type=int, default=1000)
    demo.set_defaults(func=_demo_cmd)
    openapi = sub.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi/openapi.json")
    openapi.set_defaults(func=_openapi_cmd)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
