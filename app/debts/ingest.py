"""Upsert of debts with their embedded debtors, set-based: a few statements per batch, not per row.

Plan for a batch of up to 1,000 items:
1. validate each item on its own (pydantic, phone/email normalisation); bad ones are `rejected`
   with pointers relative to the item, the rest go on;
2. one SELECT ... FOR UPDATE of the lender's debts with those external refs; an item whose keyed
   digest equals the stored one is `unchanged` and costs nothing more;
3. one INSERT ... ON CONFLICT DO UPDATE for the debtors (merged, de-duplicated by external ref),
   one for their contact points (de-duplicated by value), one INSERT ... ON CONFLICT DO NOTHING for
   new debts (a row a concurrent identical batch inserted first is skipped and re-read, so each
   debt is created exactly once), ORM updates for changed debts, one multi-row INSERT of events.
If a set-based statement still fails, the batch is replayed item by item under savepoints, so one
item the database refuses never blocks the others.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.crypto import DataCipher
from app.core.errors import json_pointer
from app.core.types import new_id
from app.debtors import repository as debtors_repository
from app.debtors.schemas import DebtorIn, normalise_contact_points
from app.debts import events, repository
from app.debts.models import Debt, DebtStatus
from app.debts.schemas import BatchItemResult, DebtIn, ItemError
from app.debts.status import after_balance_change
from app.lenders.models import Lender
from app.webhooks import outbox

_LENDER_FIELDS = (
    "product",
    "currency",
    "principal_minor",
    "balance_minor",
    "fees_minor",
    "due_date",
    "compliance_profiles",
    "group_key",
    "meta",
)


@dataclass
class IngestContext:
    lender: Lender
    actor: str
    now: datetime
    cipher: DataCipher
    secret: str


@dataclass
class _Item:
    index: int
    debt: DebtIn
    digest: str


def _errors(exc: ValidationError) -> list[ItemError]:
    found = []
    for err in exc.errors():
        _, pointer = json_pointer(("body", *err.get("loc", ())))
        found.append(ItemError(pointer=pointer, message=err.get("msg", "invalid")))
    return found


def _rejected(index: int, ref: Any, errors: list[ItemError]) -> BatchItemResult:
    return BatchItemResult(
        index=index,
        external_ref=ref if isinstance(ref, str) and len(ref) <= 200 else None,
        status="rejected",
        id=None,
        errors=errors,
    )


def validate_item(raw: Any, secret: str) -> DebtIn | list[ItemError]:
    """The item as a DebtIn with normalised contact points, or its errors."""
    try:
        item = DebtIn.model_validate(raw)
    except ValidationError as exc:
        return _errors(exc)
    region = item.debtor.address.country if item.debtor.address else None
    bad = normalise_contact_points(item.debtor.contact_points, region, "#/debtor/contact_points")
    if bad:
        return [ItemError(pointer=p, message=m) for p, m in bad]
    return item


@lru_cache(maxsize=8)
def _keyed(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def digest(item: DebtIn, secret: str) -> str:
    """`keyed_digest(secret, ...)` of the item as posted; the key schedule is computed once."""
    payload = item.model_dump(mode="json", exclude_unset=True)
    mac = _keyed(secret).copy()
    mac.update(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return mac.hexdigest()


def _debtor_row(ctx: IngestContext, debtor: DebtorIn) -> dict[str, Any]:
    address = debtor.address
    national_id = debtor.national_id
    return {
        "id": new_id(),
        "external_ref": debtor.external_ref,
        "kind": debtor.kind.value,
        "name": debtor.name,
        "national_id_encrypted": ctx.cipher.encrypt(national_id) if national_id else None,
        "national_id_last4": national_id[-4:] if national_id else None,
        "country": address.country if address else None,
        "subdivision": address.subdivision if address else None,
        "city": address.city if address else None,
        "postal_code": address.postal_code if address else None,
        "line1": address.line1 if address else None,
        "timezone": debtor.timezone,
        "locale": debtor.locale,
        "inconvenient_times": (
            [t.as_json() for t in debtor.inconvenient_times]
            if debtor.inconvenient_times is not None
            else None
        ),
    }


async def _upsert_debtors(
    session: AsyncSession, ctx: IngestContext, items: Sequence[_Item]
) -> dict[str, uuid.UUID]:
    by_ref: dict[str, DebtorIn] = {}
    points: dict[str, dict[tuple[str, str], tuple[str, list[str] | None]]] = {}
    for item in items:
        debtor = item.debt.debtor
        by_ref[debtor.external_ref] = debtor  # the last occurrence in the batch wins
        merged = points.setdefault(debtor.external_ref, {})
        for point in debtor.contact_points:
            merged[(point.channel.value, point.value)] = (point.type.value, point.time_zones)
    rows = [_debtor_row(ctx, by_ref[ref]) for ref in sorted(by_ref)]
    ids = await debtors_repository.upsert_many(session, rows, lender_id=ctx.lender.id, now=ctx.now)
    point_rows = [
        {"id": new_id(), "debtor_id": ids[ref], "channel": channel, "value": value,
         "type": type_, "time_zones": zones}
        for ref in sorted(points)
        for (channel, value), (type_, zones) in sorted(points[ref].items())
    ]  # fmt: skip
    await debtors_repository.add_contact_points(
        session, point_rows, lender_id=ctx.lender.id, now=ctx.now
    )
    return ids


def _new_debt_row(item: _Item, debtor_id: uuid.UUID) -> dict[str, Any]:
    debt = item.debt
    owed = debt.balance_minor + debt.fees_minor
    return {
        "id": new_id(),
        "external_ref": debt.external_ref,
        "debtor_id": debtor_id,
        "product": debt.product.value,
        "currency": debt.currency,
        "principal_minor": debt.principal_minor,
        "balance_minor": debt.balance_minor,
        "fees_minor": debt.fees_minor,
        "due_date": debt.due_date,
        "compliance_profiles": debt.compliance_profiles,
        "group_key": debt.group_key,
        "meta": debt.meta,
        "status": (DebtStatus.ACTIVE if owed > 0 else DebtStatus.PAID).value,
        "content_hash": item.digest,
    }


def _created_event(ctx: IngestContext, debt_id: uuid.UUID, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(),
        "debt_id": debt_id,
        "type": "debt.created",
        "actor": ctx.actor,
        "data": {
            "external_ref": row["external_ref"],
            "balance_minor": row["balance_minor"],
            "fees_minor": row["fees_minor"],
            "principal_minor": row["principal_minor"],
            "currency": row["currency"],
            "due_date": row["due_date"].isoformat(),
            "status": row["status"],
        },
    }


def _apply_update(
    session: AsyncSession, ctx: IngestContext, debt: Debt, item: _Item, debtor_id: uuid.UUID
) -> tuple[str, dict[str, Any]] | None:
    """Apply a changed item; the outbound status event when the status moved."""
    before = {name: getattr(debt, name) for name in (*_LENDER_FIELDS, "debtor_id")}
    after = {name: getattr(item.debt, name) for name in _LENDER_FIELDS}
    after["debtor_id"] = debtor_id
    for name, value in after.items():
        setattr(debt, name, value)
    debt.content_hash = item.digest
    debt.updated_at = ctx.now
    changed = events.changes(before, after)
    if changed:
        events.record(session, debt, "debt.updated", at=ctx.now, actor=ctx.actor, data=changed)
    target = after_balance_change(debt.status, debt.balance_minor + debt.fees_minor)
    if target is not None:
        return events.move_status(
            session, debt, target, cause="balance", actor=events.SYSTEM, at=ctx.now
        )
    return None


async def _write(
    session: AsyncSession,
    ctx: IngestContext,
    items: list[_Item],
    results: list[BatchItemResult | None],
) -> None:
    existing = await repository.by_external_refs(
        session, ctx.lender.id, [i.debt.external_ref for i in items], for_update=True
    )
    fresh: list[_Item] = []
    changed: list[tuple[_Item, Debt]] = []

    def classify(item: _Item, debt: Debt | None) -> None:
        if debt is None:
            fresh.append(item)
        elif debt.content_hash == item.digest:
            results[item.index] = BatchItemResult(
                index=item.index,
                external_ref=debt.external_ref,
                status="unchanged",
                id=debt.id,
                errors=[],
            )
        elif debt.currency != item.debt.currency:
            results[item.index] = _rejected(
                item.index,
                item.debt.external_ref,
                [ItemError(pointer="#/currency", message="the currency of a debt cannot change")],
            )
        else:
            changed.append((item, debt))

    for item in items:
        classify(item, existing.get(item.debt.external_ref))
    writing = fresh + [item for item, _ in changed]
    debtor_ids = await _upsert_debtors(session, ctx, writing)
    rows = {
        i.debt.external_ref: _new_debt_row(i, debtor_ids[i.debt.debtor.external_ref]) for i in fresh
    }
    inserted = await repository.insert_new(
        session, [rows[ref] for ref in sorted(rows)], lender_id=ctx.lender.id, now=ctx.now
    )
    lost = [i for i in fresh if i.debt.external_ref not in inserted]
    if lost:  # a concurrent writer created these first: treat them as existing
        fresh = [i for i in fresh if i.debt.external_ref in inserted]
        again = await repository.by_external_refs(
            session, ctx.lender.id, [i.debt.external_ref for i in lost], for_update=True
        )
        for item in lost:
            classify(item, again.get(item.debt.external_ref))
        fresh = [i for i in fresh if i.debt.external_ref in inserted]
    created_events = []
    for item in fresh:
        debt_id = inserted[item.debt.external_ref]
        created_events.append(_created_event(ctx, debt_id, rows[item.debt.external_ref]))
        results[item.index] = BatchItemResult(
            index=item.index,
            external_ref=item.debt.external_ref,
            status="created",
            id=debt_id,
            errors=[],
        )
    await repository.add_events(session, created_events, lender_id=ctx.lender.id, at=ctx.now)
    outbound = [
        (
            outbox.EventType.DEBT_CREATED.value,
            outbox.debt_created({**rows[i.debt.external_ref], "id": inserted[i.debt.external_ref]}),
        )
        for i in fresh
    ]
    for item, debt in changed:
        moved = _apply_update(session, ctx, debt, item, debtor_ids[item.debt.debtor.external_ref])
        if moved is not None:
            outbound.append(moved)
        results[item.index] = BatchItemResult(
            index=item.index,
            external_ref=debt.external_ref,
            status="updated",
            id=debt.id,
            errors=[],
        )
    await outbox.emit_many(session, lender_id=ctx.lender.id, events=outbound, at=ctx.now)
    await session.flush()


async def upsert_debts(
    session: AsyncSession, ctx: IngestContext, raw_items: Sequence[Any]
) -> list[BatchItemResult]:
    """Apply a batch; every item ends `created`, `updated`, `unchanged` or `rejected`."""
    results: list[BatchItemResult | None] = [None] * len(raw_items)
    valid: list[_Item] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        outcome = validate_item(raw, ctx.secret)
        ref = raw.get("external_ref") if isinstance(raw, dict) else None
        if isinstance(outcome, list):
            results[index] = _rejected(index, ref, outcome)
        elif outcome.external_ref in seen:
            duplicate = ItemError(pointer="#/external_ref", message="repeated within the batch")
            results[index] = _rejected(index, ref, [duplicate])
        else:
            seen.add(outcome.external_ref)
            valid.append(_Item(index, outcome, digest(outcome, ctx.secret)))
    if valid:
        try:
            async with session.begin_nested():
                await _write(session, ctx, valid, results)
        except (IntegrityError, DataError):
            await _write_one_by_one(session, ctx, valid, results)
    return [r for r in results if r is not None]


async def _write_one_by_one(
    session: AsyncSession,
    ctx: IngestContext,
    items: list[_Item],
    results: list[BatchItemResult | None],
) -> None:
    for item in items:
        try:
            async with session.begin_nested():
                await _write(session, ctx, [item], results)
        except (IntegrityError, DataError):
            results[item.index] = _rejected(
                item.index,
                item.debt.external_ref,
                [ItemError(pointer="#", message="the database refused this item")],
            )
