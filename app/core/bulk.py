"""Set-based INSERTs of many rows on PostgreSQL with one constant-shape statement.

A multi-row `INSERT ... VALUES (...), (...)` has one bind parameter per cell: SQLAlchemy builds and
compiles a new statement for every batch and the driver prepares it again for every distinct row
count. `INSERT ... SELECT ... FROM unnest($1::uuid[], $2::text[], ...)` instead binds one array per
column: the SQL text never changes, so it is compiled once and stays in asyncpg's prepared
statement cache, and the rows are encoded by the driver's binary array codecs.

Columns are given with their PostgreSQL element type; values of `jsonb` columns are serialised
with orjson (`None` is SQL NULL, as with `JSONType`), travel as `text[]` and are cast per row. Constant columns (the lender, the request's
instant) are bound once as scalars. Rows are inserted in the order given, so callers that sort
their rows keep a consistent lock order between concurrent transactions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class UnnestInsert:
    statement: TextClause
    arrays: tuple[str, ...]
    scalars: tuple[str, ...]
    documents: frozenset[str]

    async def execute(
        self,
        session: AsyncSession,
        rows: Sequence[Mapping[str, Any]],
        **scalars: Any,
    ) -> Result[Unpack[tuple[Any, ...]]]:
        """Insert `rows` (mappings with every array column) with the constants in `scalars`."""
        params: dict[str, Any] = {}
        for name in self.arrays:
            if name in self.documents:
                params[name] = [_document(row[name]) for row in rows]
            else:
                params[name] = [row[name] for row in rows]
        for name in self.scalars:
            params[name] = scalars[name]
        return await session.execute(self.statement, params)


def unnest_insert(
    table: str,
    arrays: Mapping[str, str],
    scalars: Mapping[str, str] | None = None,
    *,
    suffix: str = "",
) -> UnnestInsert:
    """`INSERT INTO table (...) SELECT ... FROM unnest(...) <suffix>`.

    `arrays` and `scalars` map column names (also the bind parameter names) to PostgreSQL types;
    `suffix` is the ON CONFLICT / RETURNING clause.
    """
    scalars = dict(scalars or {})
    unnested = ", ".join(
        f"CAST(:{name} AS {'text' if kind == 'jsonb' else kind}[])" for name, kind in arrays.items()
    )
    alias = ", ".join(f'"{name}"' for name in arrays)
    selected = [
        f'CAST(t."{name}" AS jsonb)' if kind == "jsonb" else f't."{name}"'
        for name, kind in arrays.items()
    ]
    selected += [f"CAST(:{name} AS {kind})" for name, kind in scalars.items()]
    columns = ", ".join(f'"{name}"' for name in [*arrays, *scalars])
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(selected)} "
        f"FROM unnest({unnested}) AS t({alias}) {suffix}"
    )
    documents = frozenset(name for name, kind in arrays.items() if kind == "jsonb")
    return UnnestInsert(text(sql), tuple(arrays), tuple(scalars), documents)


def _document(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
