"""Set-based INSERTs of many rows on PostgreSQL with one constant-shape statement.

A multi-row `INSERT ... VALUES (...), (...)` has one bind parameter per cell: SQLAlchemy builds and
compiles a new statement for every batch and the driver prepares it again for every distinct row
count. Here the rows travel as ONE parameter, a JSON array of objects serialised by orjson, and
PostgreSQL unpacks it with `json_to_recordset`:

    INSERT INTO t (a, b, lender_id) SELECT r.a, r.b, CAST(:lender_id AS uuid)
    FROM json_to_recordset(CAST(:rows AS json)) AS r(a uuid, b text) ON CONFLICT ...

The SQL text never changes, so it is compiled once and stays in asyncpg's prepared statement
cache, and no per-cell work happens in Python (asyncpg's array codecs check every element; orjson
writes UUIDs, dates and nested documents natively). A JSON `null` is SQL NULL, also for `jsonb`
columns (as with `JSONType`). Constant columns (the lender, the request's instant) are bound once
as scalars. Rows are inserted in the order given, so callers that sort their rows keep a
consistent lock order between concurrent transactions. Keys of a row that are not columns are
ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class RecordsetInsert:
    statement: TextClause
    scalars: tuple[str, ...]

    async def execute(
        self,
        session: AsyncSession,
        rows: Sequence[Mapping[str, Any]],
        **scalars: Any,
    ) -> Result[*tuple[Any, ...]]:
        """Insert `rows` (mappings with every row column) with the constants in `scalars`."""
        params: dict[str, Any] = {"rows": orjson.dumps(rows, default=_uuid).decode()}
        for name in self.scalars:
            params[name] = scalars[name]
        return await session.execute(self.statement, params)


def _uuid(value: Any) -> str:
    # asyncpg returns its own UUID class, which orjson does not take for a uuid.UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def recordset_insert(
    table: str,
    columns: Mapping[str, str],
    scalars: Mapping[str, str] | None = None,
    *,
    suffix: str = "",
) -> RecordsetInsert:
    """`INSERT INTO table (...) SELECT ... FROM json_to_recordset(:rows) <suffix>`.

    `columns` (per row) and `scalars` (per statement, also the bind parameter names) map column
    names to PostgreSQL types; `suffix` is the ON CONFLICT / RETURNING clause.
    """
    scalars = dict(scalars or {})
    record = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    selected = [f'r."{name}"' for name in columns]
    selected += [f"CAST(:{name} AS {kind})" for name, kind in scalars.items()]
    names = ", ".join(f'"{name}"' for name in [*columns, *scalars])
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(selected)} "
        f"FROM json_to_recordset(CAST(:rows AS json)) AS r({record}) {suffix}"
    )
    return RecordsetInsert(text(sql), tuple(scalars))
