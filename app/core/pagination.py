"""Keyset pagination with opaque, signed, tenant-bound cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import InvalidInput

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=500, description="Page size (1–500).")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="The `next_cursor` of the previous page.")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class CursorCodec:
    """Signs cursors with the service secret and binds them to the caller's tenant."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cursor:" + secret.encode()).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, tenant: str, values: list[Any]) -> str:
        payload = orjson.dumps({"t": tenant, "v": values})
        token = payload + self._mac(payload)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode()

    def decode(self, tenant: str, cursor: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload, mac = raw[:-16], raw[-16:]
            if len(raw) <= 16 or not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("signature")
            data = orjson.loads(payload)
            if data.get("t") != tenant or not isinstance(data.get("v"), list):
                raise ValueError("tenant")
            return list(data["v"])
        except (ValueError, TypeError, orjson.JSONDecodeError):
            raise InvalidInput("#/cursor", "The cursor is malformed or not yours.") from None


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    codec: CursorCodec,
    tenant: str,
    cursor: str | None,
    limit: int,
    order_at: InstrumentedAttribute[datetime],
    order_id: InstrumentedAttribute[uuid.UUID],
    ascending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of `stmt` ordered by (order_at, order_id), newest first unless `ascending`."""
    if cursor is not None:
        values = codec.decode(tenant, cursor)
        try:
            at, row_id = datetime.fromisoformat(values[0]), uuid.UUID(values[1])
        except (ValueError, TypeError, IndexError, AttributeError):
            raise InvalidInput("#/cursor", "The cursor is malformed or not yours.") from None
        if ascending:
            after = or_(order_at > at, and_(order_at == at, order_id > row_id))
        else:
            after = or_(order_at < at, and_(order_at == at, order_id < row_id))
        stmt = stmt.where(after)
    if ascending:
        stmt = stmt.order_by(order_at.asc(), order_id.asc())
    else:
        stmt = stmt.order_by(order_at.desc(), order_id.desc())
    rows = list((await session.scalars(stmt.limit(limit + 1))).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        last_at = getattr(last, order_at.key)
        last_id = getattr(last, order_id.key)
        next_cursor = codec.encode(tenant, [last_at.isoformat(), str(last_id)])
    return rows, next_cursor


class PageRequest:
    """What a list endpoint was asked for: cursor, limit, and whose cursor it must be."""

    def __init__(self, codec: CursorCodec, tenant: str, cursor: str | None, limit: int) -> None:
        self.codec, self.tenant, self.cursor, self.limit = codec, tenant, cursor, limit

    async def fetch(
        self,
        session: AsyncSession,
        stmt: Select[Any],
        order_at: InstrumentedAttribute[datetime],
        order_id: InstrumentedAttribute[uuid.UUID],
        *,
        ascending: bool = False,
    ) -> tuple[list[Any], str | None]:
        return await keyset_page(
            session,
            stmt,
            codec=self.codec,
            tenant=self.tenant,
            cursor=self.cursor,
            limit=self.limit,
            order_at=order_at,
            order_id=order_id,
            ascending=ascending,
        )
