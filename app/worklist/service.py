"""The agent's prioritised worklist: assigned debts the rules service allows now, best first.

Which debts may be contacted is asked of the rules service (`callable_debts`, per channel); the
worklist never decides that itself.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance import service as compliance_service
from app.core.auth import Principal
from app.core.errors import Forbidden, InvalidInput
from app.core.pagination import CursorCodec, PageRequest
from app.core.roles import Role
from app.debts import service as debts_service
from app.debts.schemas import DebtOut
from app.debts.status import COLLECTABLE
from app.worklist import repository
from app.worklist.schemas import (
    BlockedChannel,
    LaterItem,
    ScoreParts,
    WorkItem,
    Worklist,
)

CHANNELS = ("phone", "sms", "email", "letter", "visit")
PAGE = 500
MAX_PAGES = 20


def score(debt: DebtOut, last_contact_at: datetime | None, now: datetime) -> ScoreParts:
    """The transparent priority: every part is documented on `ScoreParts`."""
    owed_major = max(debt.balance_minor + debt.fees_minor, 0) / 100
    days = None if last_contact_at is None else (now - last_contact_at).days
    return ScoreParts(
        balance=round(min(40.0, 10 * math.log10(1 + owed_major)), 2),
        dpd=round(30 * min(max(debt.dpd, 0), 180) / 180, 2),
        broken_plans=float(min(debt.broken_plans, 2) * 10),
        days_since_contact=10.0 if days is None else float(min(max(days, 0), 10)),
    )


def total(parts: ScoreParts) -> float:
    return round(parts.balance + parts.dpd + parts.broken_plans + parts.days_since_contact, 2)


def _agent_of(principal: Principal, agent_id: uuid.UUID | None) -> uuid.UUID:
    if principal.role is Role.AGENT:
        assert principal.agent_id is not None
        if agent_id is None or agent_id == principal.agent_id:
            return principal.agent_id
        if not principal.is_supervisor:
            raise Forbidden("An agent sees only their own worklist.")
        return agent_id
    if agent_id is None:
        raise InvalidInput("#/agent_id", "Name the agent (agent_id).")
    return agent_id


async def _assigned(
    session: AsyncSession,
    principal: Principal,
    agent_id: uuid.UUID,
    page: PageRequest,
    now: datetime,
) -> list[DebtOut]:
    """Every open debt assigned to the agent that the caller may see."""
    filters = debts_service.DebtFilters(assigned_agent_id=agent_id)
    found: list[DebtOut] = []
    cursor = None
    for _ in range(MAX_PAGES):
        request = PageRequest(page.codec, page.tenant, cursor, PAGE)
        items, cursor = await debts_service.list_debts(
            session, principal, filters, request, now=now
        )
        found.extend(d for d in items if d.status in COLLECTABLE)
        if cursor is None:
            break
    return found


def _after(codec: CursorCodec, tenant: str, cursor: str | None) -> tuple[float, str] | None:
    if cursor is None:
        return None
    values = codec.decode(tenant, cursor)
    try:
        return float(values[0]), str(uuid.UUID(str(values[1])))
    except (ValueError, TypeError, IndexError):
        raise InvalidInput("#/cursor", "The cursor is malformed or not yours.") from None


async def worklist(
    session: AsyncSession,
    principal: Principal,
    agent_id: uuid.UUID | None,
    page: PageRequest,
    *,
    now: datetime,
) -> Worklist:
    agent = _agent_of(principal, agent_id)
    after = _after(page.codec, page.tenant, page.cursor)
    debts = await _assigned(session, principal, agent, page, now)
    ids = [d.id for d in debts]
    allowed: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    blocked: dict[uuid.UUID, list[BlockedChannel]] = {i: [] for i in ids}
    for channel in CHANNELS:
        result = await compliance_service.callable_debts(
            session, principal, channel=channel, at=now, debt_ids=ids
        )
        for debt_id in result.allowed:
            allowed[debt_id].append(channel)
        for item in result.blocked:
            blocked[item.debt_id].append(
                BlockedChannel(
                    channel=channel,
                    codes=[r.code for r in item.reasons],
                    next_allowed_at=item.next_allowed_at,
                )
            )
    last = await repository.last_contacts(session, ids, now)
    ready = [_work_item(d, allowed[d.id], last.get(d.id), now) for d in debts if allowed[d.id]]
    ready.sort(key=lambda w: (-w.score, str(w.debt.id)))
    if after is not None:
        ready = [w for w in ready if (-w.score, str(w.debt.id)) > (-after[0], after[1])]
    items = ready[: page.limit]
    next_cursor = None
    if len(ready) > page.limit:
        tail = items[-1]
        next_cursor = page.codec.encode(page.tenant, [tail.score, str(tail.debt.id)])
    later = [] if after is not None else _later(debts, allowed, blocked)
    return Worklist(
        agent_id=agent, evaluated_at=now, items=items, next_cursor=next_cursor, later=later
    )


def _work_item(
    debt: DebtOut, channels: list[str], last: datetime | None, now: datetime
) -> WorkItem:
    parts = score(debt, last, now)
    return WorkItem(
        debt=debt,
        score=total(parts),
        score_parts=parts,
        channels_allowed=channels,
        last_contact_at=last,
    )


def _later(
    debts: list[DebtOut],
    allowed: dict[uuid.UUID, list[str]],
    blocked: dict[uuid.UUID, list[BlockedChannel]],
) -> list[LaterItem]:
    later = []
    for debt in debts:
        if allowed[debt.id]:
            continue
        times = [b.next_allowed_at for b in blocked[debt.id] if b.next_allowed_at is not None]
        later.append(
            LaterItem(
                debt=debt, next_allowed_at=min(times) if times else None, blocked=blocked[debt.id]
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    later.sort(key=lambda i: (i.next_allowed_at is None, i.next_allowed_at or far, str(i.debt.id)))
    return later
