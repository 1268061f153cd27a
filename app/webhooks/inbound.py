"""Receiving telecom webhooks: verify, store once per webhook-id, apply in the same transaction.

The event row is inserted first (ON CONFLICT DO NOTHING): the one request that inserts it applies
the event; a concurrent or later delivery of the same webhook-id finds the row and answers 204
without applying anything. The effect runs in a savepoint, so an event whose body is refused
keeps its stored row (marked `rejected`) while its partial effects are undone; the caller answers
422 without raising, so the request transaction still commits that row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.crypto import DataCipher
from app.core.errors import DomainError, InvalidInput, NotFound, json_pointer
from app.core.roles import Role
from app.core.types import new_id
from app.debts import ingest
from app.debts import service as debts_service
from app.debts.models import Debt
from app.lenders import service as lenders_service
from app.payments import service as payments_service
from app.payments.schemas import PaymentCreate
from app.webhooks import repository, signing
from app.webhooks.models import InboundStatus, WebhookSource
from app.webhooks.schemas import (
    KNOWN_TYPES,
    AccountClosed,
    BillAdjusted,
    BillPaid,
    TelecomEvent,
)

_EVENT = TypeAdapter(TelecomEvent)
_STORED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type")


class SourceNotFound(NotFound):
    title = "Webhook source not found"


class EventRejected(InvalidInput):
    slug, title = "webhook-event-rejected", "The webhook event is not valid"


@dataclass
class Outcome:
    """What the receiver answers: 204, or a problem built without raising."""

    status: InboundStatus | None  # None: a duplicate, nothing done
    problem: DomainError | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Secrets:
    cipher: DataCipher
    secret_key: str


async def receive(
    session: AsyncSession,
    source_id: uuid.UUID,
    headers: dict[str, str],
    body: bytes,
    *,
    now: datetime,
    secrets: Secrets,
) -> Outcome:
    source = await repository.get_source(session, source_id)
    if source is None:
        raise SourceNotFound()
    webhook_id, timestamp, signatures = signing.parse_headers(headers)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise signing.MalformedWebhook("The body is not UTF-8.") from None
    signing.verify(
        _secrets_of(source, secrets.cipher, now), webhook_id, timestamp, signatures, text, now=now
    )
    event_id = new_id()
    won = await repository.insert_event_once(
        session,
        {
            "id": event_id,
            "lender_id": source.lender_id,
            "source_id": source.id,
            "webhook_id": webhook_id,
            "event_type": None,
            "status": InboundStatus.APPLIED,
            "headers": {k: headers[k] for k in _STORED_HEADERS if k in headers},
            "body": body,
            "errors": None,
            "received_at": now,
        },
    )
    if not won:
        return Outcome(status=None)
    outcome, event_type = await _apply(session, source, text, now=now, secrets=secrets)
    await repository.mark_event(
        session,
        event_id,
        {"status": outcome.status, "event_type": event_type, "errors": outcome.errors or None},
    )
    return outcome


def _secrets_of(source: WebhookSource, cipher: DataCipher, now: datetime) -> list[str]:
    found = [cipher.decrypt(source.secret_encrypted)]
    previous, until = source.previous_secret_encrypted, source.previous_expires_at
    if previous is not None and until is not None and now < until:
        found.append(cipher.decrypt(previous))
    return found


def _rejected(error: DomainError) -> Outcome:
    errors = list(error.extra.get("errors") or [{"pointer": "#", "message": error.detail}])
    return Outcome(InboundStatus.REJECTED, error, errors)


async def _apply(
    session: AsyncSession, source: WebhookSource, text: str, *, now: datetime, secrets: Secrets
) -> tuple[Outcome, str | None]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _rejected(EventRejected("#", "The body is not valid JSON.")), None
    event_type = document.get("type") if isinstance(document, dict) else None
    if not isinstance(event_type, str) or len(event_type) > 100:
        return _rejected(EventRejected("#/type", "A string `type` is required.")), None
    if event_type not in KNOWN_TYPES:
        return Outcome(InboundStatus.IGNORED), event_type
    try:
        event = _EVENT.validate_python(document)
    except ValidationError as exc:
        errors = [_item_error(e) for e in exc.errors()]
        problem = EventRejected(errors[0]["pointer"], errors[0]["message"])
        problem.extra["errors"] = errors
        return _rejected(problem), event_type
    try:
        async with session.begin_nested():
            await _effect(session, source, event.type, event.data, document, now, secrets)
    except DomainError as error:
        if not isinstance(error, InvalidInput):
            error = EventRejected("#/data", error.detail)
        return _rejected(error), event_type
    return Outcome(InboundStatus.APPLIED), event_type


def _item_error(error: Any) -> dict[str, str]:
    loc = list(error.get("loc", ()))
    if loc and loc[0] in KNOWN_TYPES:  # the discriminator's tag is not part of the document
        loc = loc[1:]
    return {"pointer": json_pointer(("body", *loc))[1], "message": error["msg"]}


async def _effect(
    session: AsyncSession,
    source: WebhookSource,
    event_type: str,
    data: Any,
    document: dict[str, Any],
    now: datetime,
    secrets: Secrets,
) -> None:
    actor = f"webhook:{source.id}"
    if event_type == "bill.overdue":
        await _bill_overdue(session, source, document["data"], now, secrets, actor)
        return
    debt = await _locked_debt(session, source, data.debt_external_ref)
    if isinstance(data, BillPaid):
        payment = PaymentCreate(**data.model_dump(exclude={"debt_external_ref"}))
        await payments_service.record_payment(session, debt, payment, now=now, actor=actor)
    elif isinstance(data, BillAdjusted):
        await debts_service.adjust_balance(
            session, debt, data.balance_minor, reason=data.reason, now=now, actor=actor
        )
    elif isinstance(data, AccountClosed):
        closed_at = data.closed_at.isoformat()
        await debts_service.close_debt(
            session,
            debt,
            cause="account_closed",
            now=now,
            actor=actor,
            data={"closed_at": closed_at},
        )


async def _bill_overdue(
    session: AsyncSession,
    source: WebhookSource,
    raw: dict[str, Any],
    now: datetime,
    secrets: Secrets,
    actor: str,
) -> None:
    item = {"product": "telecom_bill", **raw}
    principal = Principal(key_id=source.id, role=Role.LENDER, lender_id=source.lender_id)
    lender = await lenders_service.get_lender(session, principal, source.lender_id)
    context = ingest.IngestContext(lender, actor, now, secrets.cipher, secrets.secret_key)
    result = (await ingest.upsert_debts(session, context, [item]))[0]
    if result.status == "rejected":
        errors = [
            {"pointer": "#/data" + e.pointer[1:], "message": e.message} for e in result.errors
        ]
        problem = EventRejected(errors[0]["pointer"], errors[0]["message"])
        problem.extra["errors"] = errors
        raise problem


async def _locked_debt(session: AsyncSession, source: WebhookSource, ref: str) -> Debt:
    debt = await debts_service.find_by_external_ref(session, source.lender_id, ref, for_update=True)
    if debt is None:
        raise EventRejected(
            "#/data/debt_external_ref", "No debt of this lender has this reference."
        )
    return debt
