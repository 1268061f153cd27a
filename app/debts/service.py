"""Debt commands and queries: upsert, batch, read, list, PATCH, timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.agents import repository as agents_repository
from app.core.auth import Principal
from app.core.crypto import DataCipher
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.core.roles import Role
from app.debtors.models import Debtor
from app.debtors.schemas import DebtorSummary
from app.debts import dpd as dpd_rules
from app.debts import events, ingest, repository
from app.debts.models import Debt, DebtEvent, DebtStatus, Product
from app.debts.schemas import BatchCounts, BatchItemResult, BatchResult, DebtOut, DebtPatch
from app.debts.status import after_balance_change, check_settable, check_transition
from app.lenders import repository as lenders_repository
from app.lenders.models import Lender
from app.webhooks import outbox


class DebtNotFound(NotFound):
    title = "Debt not found"


@dataclass(frozen=True)
class DebtFilters:
    status: DebtStatus | None = None
    bucket: str | None = None
    product: Product | None = None
    min_dpd: int | None = None
    max_dpd: int | None = None
    assigned_agent_id: uuid.UUID | None = None
    escalation_level: str | None = None
    updated_since: datetime | None = None
    lender_id: uuid.UUID | None = None


async def target_lender(
    session: AsyncSession, principal: Principal, lender_id: uuid.UUID | None
) -> Lender:
    """The lender a write is for: a lender key's own; an admin names it (422 otherwise)."""
    if principal.role is Role.LENDER:
        if lender_id is not None and lender_id != principal.lender_id:
            raise InvalidInput("#/lender_id", "A lender key writes only its own debts.")
        lender_id = principal.lender_id
    if lender_id is None:
        raise InvalidInput("#/lender_id", "Name the lender (lender_id).")
    lender = await lenders_repository.get(session, lender_id)
    if lender is None:
        raise InvalidInput("#/lender_id", "No such lender.")
    return lender


def to_out(debt: Debt, debtor: Debtor, lender_timezone: str, now: datetime) -> DebtOut:
    days = dpd_rules.dpd(debt.due_date, dpd_rules.local_today(now, lender_timezone))
    return DebtOut(
        id=debt.id,
        lender_id=debt.lender_id,
        external_ref=debt.external_ref,
        debtor_id=debt.debtor_id,
        debtor=DebtorSummary.model_validate(debtor),
        product=debt.product,
        currency=debt.currency,
        principal_minor=debt.principal_minor,
        balance_minor=debt.balance_minor,
        fees_minor=debt.fees_minor,
        credit_minor=debt.credit_minor,
        due_date=debt.due_date,
        status=debt.status,
        dpd=days,
        bucket=dpd_rules.bucket(days),
        assigned_agent_id=debt.assigned_agent_id,
        escalation_level=debt.escalation_level,
        compliance_profiles=list(debt.compliance_profiles),
        group_key=debt.group_key,
        broken_plans=debt.broken_plans,
        meta=debt.meta,
        created_at=debt.created_at,
        updated_at=debt.updated_at,
    )


async def ingest_batch(
    session: AsyncSession,
    principal: Principal,
    lender_id: uuid.UUID | None,
    items: list[Any],
    *,
    now: datetime,
    cipher: DataCipher,
    secret: str,
) -> BatchResult:
    lender = await target_lender(session, principal, lender_id)
    ctx = ingest.IngestContext(lender, events.actor_of(principal), now, cipher, secret)
    results = await ingest.upsert_debts(session, ctx, items)
    counts = BatchCounts()
    for result in results:
        setattr(counts, result.status, getattr(counts, result.status) + 1)
    return BatchResult(results=results, counts=counts)


async def upsert_debt(
    session: AsyncSession,
    principal: Principal,
    body: dict[str, Any],
    *,
    now: datetime,
    cipher: DataCipher,
    secret: str,
) -> tuple[BatchItemResult, DebtOut]:
    """One debt through the batch path; a rejected item is 422 with its pointers."""
    lender_id = body.pop("lender_id", None)
    try:
        parsed_lender = uuid.UUID(str(lender_id)) if lender_id is not None else None
    except ValueError:
        raise InvalidInput("#/lender_id", "Input should be a valid UUID.") from None
    batch = await ingest_batch(
        session, principal, parsed_lender, [body], now=now, cipher=cipher, secret=secret
    )
    result = batch.results[0]
    if result.status == "rejected":
        error = InvalidInput(result.errors[0].pointer, result.errors[0].message)
        error.extra["errors"] = [e.model_dump() for e in result.errors]
        raise error
    assert result.id is not None
    return result, await get_debt(session, principal, result.id, now=now)


async def get_debt(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, *, now: datetime
) -> DebtOut:
    found = await repository.get_with_context(session, debt_id, principal.lender_scope)
    if found is None:
        raise DebtNotFound()
    return to_out(*found, now)


async def load_debt(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, *, for_update: bool = False
) -> Debt:
    """The caller's debt (404 when unknown or another tenant's), optionally row-locked."""
    debt = await repository.get(session, debt_id, principal.lender_scope, for_update=for_update)
    if debt is None:
        raise DebtNotFound()
    return debt


async def _filtered(
    session: AsyncSession, principal: Principal, filters: DebtFilters, stmt: Any, now: datetime
) -> tuple[Any, dict[uuid.UUID, str]]:
    if filters.lender_id is not None:
        stmt = stmt.where(Debt.lender_id == filters.lender_id)
    for name in ("status", "product", "assigned_agent_id", "escalation_level"):
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(getattr(Debt, name) == value)
    if filters.updated_since is not None:
        stmt = stmt.where(Debt.updated_at >= filters.updated_since)
    zones = await repository.lender_zones(session, principal.lender_scope, filters.lender_id)
    if filters.bucket is not None or filters.min_dpd is not None or filters.max_dpd is not None:
        stmt = stmt.where(_dpd_condition(filters, zones, now))
    return stmt, zones


async def load_debt_or_none(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID
) -> Debt | None:
    return await repository.get(session, debt_id, principal.lender_scope)


async def list_debts(
    session: AsyncSession,
    principal: Principal,
    filters: DebtFilters,
    page: PageRequest,
    *,
    now: datetime,
) -> tuple[list[DebtOut], str | None]:
    stmt, zones = await _filtered(
        session, principal, filters, repository.list_query(principal.lender_scope), now
    )
    rows, next_cursor = await page.fetch(session, stmt, Debt.created_at, Debt.id)
    debtors = await repository.debtor_summaries(session, (d.debtor_id for d in rows))
    items = [to_out(d, debtors[d.debtor_id], zones.get(d.lender_id, "UTC"), now) for d in rows]
    return items, next_cursor


async def matching_debt_ids(
    session: AsyncSession, principal: Principal, filters: DebtFilters, *, now: datetime, limit: int
) -> list[uuid.UUID]:
    """Ids of the caller's debts matching `filters` (oldest first), at most `limit`."""
    base = repository.id_query(principal.lender_scope)
    stmt, _ = await _filtered(session, principal, filters, base, now)
    return await repository.ids_in_order(session, stmt, limit)


def _dpd_condition(filters: DebtFilters, zones: dict[uuid.UUID, str], now: datetime) -> Any:
    low, high = filters.min_dpd, filters.max_dpd
    if filters.bucket is not None:
        b_low, b_high = dpd_rules.BUCKETS[filters.bucket]
        low = b_low if low is None or (b_low is not None and b_low > low) else low
        high = b_high if high is None or (b_high is not None and b_high < high) else high
    groups: dict[date, list[uuid.UUID]] = {}
    for lender_id, zone in zones.items():
        groups.setdefault(dpd_rules.local_today(now, zone), []).append(lender_id)
    ranges = {today: dpd_rules.due_date_range(today, low, high) for today in groups}
    return repository.due_date_condition(groups, ranges)


async def patch_debt(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    patch: DebtPatch,
    *,
    now: datetime,
) -> DebtOut:
    if principal.role is Role.AGENT and not principal.is_supervisor:
        raise Forbidden("Only supervisors may change a debt.")
    debt = await load_debt(session, principal, debt_id, for_update=True)
    fields = patch.model_fields_set
    if "assigned_agent_id" in fields and patch.assigned_agent_id is not None:
        await _check_agent(session, debt, patch.assigned_agent_id)
    before = {name: getattr(debt, name) for name in fields if name != "status"}
    after = {name: getattr(patch, name) for name in fields if name != "status"}
    if "compliance_profiles" in after and after["compliance_profiles"] is None:
        after["compliance_profiles"] = []
    for name, value in after.items():
        setattr(debt, name, value)
    changed = events.changes(before, after)
    actor = events.actor_of(principal)
    if changed:
        events.record(session, debt, "debt.updated", at=now, actor=actor, data=changed)
    if patch.status is not None:
        target = DebtStatus(patch.status)
        check_settable(principal, target)
        if target is not debt.status:
            check_transition(debt.status, target)
            await _emit_status(session, debt, target, "manual", now, actor=actor)
    debt.updated_at = now
    await session.flush()
    return await get_debt(session, principal, debt.id, now=now)


async def _check_agent(session: AsyncSession, debt: Debt, agent_id: uuid.UUID) -> None:
    agent = await agents_repository.get(session, agent_id)
    lenders = (await agents_repository.lender_ids_of(session, [agent_id])).get(agent_id, [])
    if agent is None or debt.lender_id not in lenders:
        raise InvalidInput("#/assigned_agent_id", "No such agent working this lender's debts.")


async def list_events(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, page: PageRequest
) -> tuple[list[DebtEvent], str | None]:
    await load_debt(session, principal, debt_id)
    query = repository.events_query(debt_id)
    return await page.fetch(session, query, DebtEvent.at, DebtEvent.id, ascending=True)


async def _emit_status(
    session: AsyncSession,
    debt: Debt,
    target: DebtStatus,
    cause: str,
    now: datetime,
    *,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Move the debt to `target` (timeline entry included) and queue the outbound event."""
    moved = events.move_status(session, debt, target, cause=cause, actor=actor, at=now, data=data)
    await outbox.emit_many(session, lender_id=debt.lender_id, events=[moved], at=now)


async def find_by_external_ref(
    session: AsyncSession, lender_id: uuid.UUID, external_ref: str, *, for_update: bool = False
) -> Debt | None:
    """A lender's debt by its own reference, optionally row-locked (integrations, webhooks)."""
    found = await repository.by_external_refs(
        session, lender_id, [external_ref], for_update=for_update
    )
    return found.get(external_ref)


async def adjust_balance(
    session: AsyncSession,
    debt: Debt,
    balance_minor: int,
    *,
    reason: str,
    now: datetime,
    actor: str,
) -> bool:
    """Set the balance of a locked debt as its creditor restated it; False when unchanged."""
    if balance_minor == debt.balance_minor:
        return False
    events.record(
        session,
        debt,
        "debt.balance_adjusted",
        at=now,
        actor=actor,
        data={
            "reason": reason,
            **events.changes(
                {"balance_minor": debt.balance_minor}, {"balance_minor": balance_minor}
            ),
        },
    )
    debt.balance_minor = balance_minor
    debt.updated_at = now
    target = after_balance_change(debt.status, debt.balance_minor + debt.fees_minor)
    if target is not None:
        await _emit_status(session, debt, target, "balance", now, actor=events.SYSTEM)
    await session.flush()
    return True


async def close_debt(
    session: AsyncSession,
    debt: Debt,
    *,
    cause: str,
    now: datetime,
    actor: str,
    data: dict[str, Any] | None = None,
) -> bool:
    """Close a locked debt (the creditor closed the account); False when already closed."""
    if debt.status is DebtStatus.CLOSED:
        return False
    check_transition(debt.status, DebtStatus.CLOSED)
    await _emit_status(session, debt, DebtStatus.CLOSED, cause, now, actor=actor, data=data)
    debt.updated_at = now
    await session.flush()
    return True
