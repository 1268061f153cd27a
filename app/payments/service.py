"""Recording payments: idempotent by external_ref, applied under a row lock on the debt.

A payment reduces the balance first, then fees; anything beyond what is owed is kept as credit
(never rejected, never lost). When nothing is owed any more, the debt becomes `paid`.
Allocation to a repayment plan's installments hooks in through `PAYMENT_LISTENERS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.errors import Conflict, InvalidInput
from app.core.pagination import PageRequest
from app.debts import events
from app.debts import service as debts_service
from app.debts.models import Debt
from app.debts.status import after_balance_change
from app.payments import repository
from app.payments.models import Payment
from app.payments.schemas import PaymentCreate
from app.webhooks import outbox

PaymentListener = Callable[[AsyncSession, Debt, Payment, datetime, str], Awaitable[None]]
# Other domains (repayment plans, outbound events) react to a recorded payment in the same transaction.
PAYMENT_LISTENERS: list[PaymentListener] = []


class PaymentConflict(Conflict):
    slug, title = "payment-conflict", "This external_ref was used for another payment"


async def record_payment(
    session: AsyncSession,
    debt: Debt,
    body: PaymentCreate,
    *,
    now: datetime,
    actor: str,
) -> tuple[Payment, bool]:
    """Record and apply a payment on a debt the caller has locked; (payment, created)."""
    existing = await repository.by_external_ref(session, debt.id, body.external_ref)
    if existing is not None:
        same = (existing.amount_minor, existing.currency) == (body.amount_minor, body.currency)
        if not same:
            raise PaymentConflict("This external_ref was recorded with another amount or currency.")
        return existing, False
    if body.currency != debt.currency:
        raise InvalidInput("#/currency", f"The debt is in {debt.currency}.")
    before = {
        "balance_minor": debt.balance_minor,
        "fees_minor": debt.fees_minor,
        "credit_minor": debt.credit_minor,
    }
    to_balance = min(body.amount_minor, debt.balance_minor)
    to_fees = min(body.amount_minor - to_balance, debt.fees_minor)
    credit = body.amount_minor - to_balance - to_fees
    debt.balance_minor -= to_balance
    debt.fees_minor -= to_fees
    debt.credit_minor += credit
    debt.updated_at = now
    payment = repository.add(
        session,
        Payment(
            lender_id=debt.lender_id,
            debt_id=debt.id,
            external_ref=body.external_ref,
            amount_minor=body.amount_minor,
            currency=body.currency,
            paid_at=body.paid_at,
            method=body.method,
            applied_balance_minor=to_balance,
            applied_fees_minor=to_fees,
            credit_minor=credit,
            created_at=now,
            updated_at=now,
        ),
    )
    await session.flush()
    after = {
        "balance_minor": debt.balance_minor,
        "fees_minor": debt.fees_minor,
        "credit_minor": debt.credit_minor,
    }
    events.record(
        session,
        debt,
        "payment.received",
        at=now,
        actor=actor,
        data={
            "payment_id": str(payment.id),
            "amount_minor": body.amount_minor,
            "external_ref": body.external_ref,
            **events.changes(before, after),
        },
    )
    for listener in PAYMENT_LISTENERS:
        await listener(session, debt, payment, now, actor)
    outbound = [(outbox.EventType.PAYMENT_RECEIVED.value, _received(debt, payment))]
    target = after_balance_change(debt.status, debt.balance_minor + debt.fees_minor)
    if target is not None:
        outbound.append(
            events.move_status(session, debt, target, cause="payment", actor=events.SYSTEM, at=now)
        )
    await outbox.emit_many(session, lender_id=debt.lender_id, events=outbound, at=now)
    await session.flush()
    return payment, True


def _received(debt: Debt, payment: Payment) -> dict[str, object]:
    return {
        "debt_id": str(debt.id),
        "debt_external_ref": debt.external_ref,
        "payment_id": str(payment.id),
        "external_ref": payment.external_ref,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "paid_at": payment.paid_at.isoformat(),
        "balance_minor": debt.balance_minor,
        "fees_minor": debt.fees_minor,
        "credit_minor": debt.credit_minor,
    }


async def post_payment(
    session: AsyncSession,
    principal: Principal,
    debt_id: uuid.UUID,
    body: PaymentCreate,
    *,
    now: datetime,
) -> tuple[Payment, bool]:
    debt = await debts_service.load_debt(session, principal, debt_id, for_update=True)
    return await record_payment(session, debt, body, now=now, actor=events.actor_of(principal))


async def list_payments(
    session: AsyncSession, principal: Principal, debt_id: uuid.UUID, page: PageRequest
) -> tuple[list[Payment], str | None]:
    await debts_service.load_debt(session, principal, debt_id)
    return await page.fetch(session, repository.list_query(debt_id), Payment.created_at, Payment.id)
