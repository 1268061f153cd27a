"""Structural rules that keep the code honest (STYLE.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts

from app.core.idempotency import ArrearsRoute
from app.main import create_app
from tests.conftest import make_settings

APP = Path(__file__).resolve().parents[1] / "app"
# The one request unit of work, the background units of work, and the documented place that
# must persist a blocked compliance decision before answering 409.
COMMIT_ALLOWED = {"core/db.py", "contacts/service.py"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(APP)), ast.parse(p.read_text())) for p in APP.rglob("*.py")]


def test_routers_import_no_repository() -> None:
    for name, tree in _modules():
        if not name.endswith("router.py"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                imported = [node.module or ""] + [a.name for a in node.names]
                assert not any("repository" in i for i in imported), f"{name} imports a repository"


def test_commit_only_in_the_unit_of_work() -> None:
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "commit":
                assert name in COMMIT_ALLOWED, f"{name} calls commit()"


def test_every_api_route_uses_the_arrears_route_class(database_url: str) -> None:
    app = create_app(make_settings(database_url))
    # `app.routes` holds the included routers; their routes are reached through the contexts.
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    v1 = [r for r in routes if isinstance(r, APIRoute) and r.path.startswith("/v1/")]
    assert len(v1) > 50
    for route in v1:
        assert isinstance(route, ArrearsRoute), route.path


_RAW_CONTACT_INSERT = re.compile(r"insert\s+into\s+\"?contacts\b", re.IGNORECASE)


def _contact_writes(tree: ast.Module) -> list[int]:
    """Lines that construct or insert contact rows (`Contact(...)`, `insert(Contact)`, the writer,
    SQL text that inserts into `contacts`)."""
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _RAW_CONTACT_INSERT.search(node.value)
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "Contact":
                lines.append(node.lineno)
            if name in {"insert", "Insert"} and any(
                isinstance(a, ast.Name | ast.Attribute) and ast.unparse(a).endswith("Contact")
                for a in node.args
            ):
                lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.contacts"):
            if node.module == "app.contacts.writer" or any(a.name == "writer" for a in node.names):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "__table__"
            and ast.unparse(node.value).endswith("Contact")
        ):
            lines.append(node.lineno)
    return lines


def test_no_contact_row_is_created_outside_app_contacts() -> None:
    for name, tree in _modules():
        if name.startswith("contacts/"):
            continue
        assert not _contact_writes(tree), (
            f"app/{name} writes contact rows at lines {_contact_writes(tree)}"
        )


def test_the_contact_write_detector_catches_the_obvious_ways() -> None:
    sample = ast.parse(
        "from app.contacts import writer\n"
        "c = Contact(id=1)\n"
        "session.execute(insert(Contact), rows)\n"
        "Contact.__table__.insert()\n"
        "await conn.execute('INSERT INTO contacts (id) VALUES ($1)', 1)\n"
        'sql = f"""WITH x AS (SELECT 1)\n  insert  into "contacts" (id) SELECT 1"""\n'
    )
    assert sorted(set(_contact_writes(sample))) == [1, 2, 3, 4, 5, 6]
