"""Queries on payments."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.payments.models import Payment


async def by_external_ref(
    session: AsyncSession, debt_id: uuid.UUID, external_ref: str
) -> Payment | None:
    stmt = select(Payment).where(Payment.debt_id == debt_id, Payment.external_ref == external_ref)
    return await session.scalar(stmt)


def list_query(debt_id: uuid.UUID) -> Select[Payment]:
    return select(Payment).where(Payment.debt_id == debt_id)


def add(session: AsyncSession, payment: Payment) -> Payment:
    session.add(payment)
    return payment
