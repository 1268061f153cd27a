"""Portable column types."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from app.core.types import new_id
from app.lenders.models import Lender


def test_ids_are_unique_and_time_ordered() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i.version == 7 for i in ids[:10])


def test_a_forked_child_does_not_repeat_its_parents_random_bits() -> None:
    new_id()  # the parent's random buffer is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its next id's random tail and leave
        os.write(write, new_id().bytes[8:])
        os._exit(0)
    os.close(write)
    child_tail = os.read(read, 8)
    os.waitpid(pid, 0)
    assert len(child_tail) == 8 and child_tail != new_id().bytes[8:]


async def test_timestamps_refuse_naive_values_and_come_back_in_utc(
    app: FastAPI, client: object
) -> None:
    async with app.state.sessionmaker() as session:
        session.add(Lender(code="naive", name="x", created_at=datetime(2026, 1, 1, 12, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.flush()
        await session.rollback()
        plus_two = timezone(timedelta(hours=2))
        session.add(
            Lender(code="aware", name="x", created_at=datetime(2026, 1, 1, 12, 0, tzinfo=plus_two))
        )
        await session.commit()
    async with app.state.sessionmaker() as session:
        created = await session.scalar(select(Lender.created_at).where(Lender.code == "aware"))
    assert created == datetime(2026, 1, 1, 10, 0, tzinfo=UTC) and created.tzinfo is not None
    assert created.utcoffset() == timedelta(0)
