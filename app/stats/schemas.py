"""What the statistics endpoints return. Money is per currency: amounts are never summed across currencies."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from app.core.schemas import ResponseModel

BucketName = Literal["current", "1-30", "31-60", "61-90", "91-180", "181+"]


class Scope(ResponseModel):
    """Which data the figures cover and in which calendar they count dates."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    lender_id: uuid.UUID | None = Field(
        description="The one lender the figures are for; null when every lender in scope is aggregated."
    )
    product: str | None = Field(description="The product filter, if any.")
    timezone: str = Field(
        description="The zone `from`/`to` and interval boundaries are counted in: the lender's "
        "`timezone` when the figures are for one lender (a lender key, a viewer bound to a lender, "
        "or `lender_id` given), otherwise UTC."
    )
    date_from: date | None = Field(None, alias="from", description="First day, inclusive.")
    date_to: date | None = Field(None, alias="to", description="Last day, inclusive.")


class Amount(ResponseModel):
    currency: str
    balance_minor: int = Field(description="Sum of `balance_minor`.")
    principal_minor: int = Field(description="Sum of `principal_minor`.")
    fees_minor: int = Field(description="Sum of `fees_minor`.")


class PortfolioGroup(ResponseModel):
    key: str = Field(description="The status, bucket or product; `total` for the whole portfolio.")
    count: int = Field(description="Number of debts.")
    amounts: list[Amount] = Field(description="Balances per currency.")


class PortfolioStats(ResponseModel):
    """Counts and balances of the debts as they are now."""

    scope: Scope
    total: PortfolioGroup = Field(description="Every debt in scope, whatever its status.")
    by_status: list[PortfolioGroup] = Field(description="Every debt, by `status`.")
    by_bucket: list[PortfolioGroup] = Field(
        description="Open debts only (status not paid, settled, written_off, recalled or closed), "
        "by DPD bucket as of today in each debt's lender's time zone (the debt's own `bucket`)."
    )
    by_product: list[PortfolioGroup] = Field(description="Every debt, by `product`.")


class RecoveryPeriod(ResponseModel):
    start: date = Field(description="First day of the interval (clipped to `from`).")
    end: date = Field(description="Last day of the interval (clipped to `to`).")
    currency: str
    collected_minor: int = Field(
        description="Sum of payments whose `paid_at` falls in the interval."
    )
    placed_minor: int = Field(
        description="Balance + fees, as first received, of the debts placed (created in Arrears) "
        "in the interval."
    )
    recovery_rate: float | None = Field(
        description="collected_minor ÷ placed_minor; null when nothing was placed."
    )


class RecoveryStats(ResponseModel):
    """Amounts collected and the recovery rate per interval and currency.

    Recovery rate = money collected in the period (payments by `paid_at`, on any debt) ÷ balance placed
    in the period, where *placed* means debts first received by Arrears (`created_at`) in the period,
    valued at the `balance_minor + fees_minor` they were received with.
    """

    scope: Scope
    interval: Literal["day", "week", "month"]
    periods: list[RecoveryPeriod] = Field(
        description="One row per interval and currency with any collection or placement; weeks start on Monday."
    )
    totals: list[RecoveryPeriod] = Field(description="The whole range, per currency.")


class ContactFigures(ResponseModel):
    attempts: int = Field(description="Outbound contacts (every source: live and imported).")
    right_party_contacts: int = Field(
        description="Outbound contacts with a right-party outcome: conversation, promise_to_pay, "
        "refused, dispute_raised, cease_requested, callback_requested."
    )
    promises: int = Field(description="Outbound contacts with outcome promise_to_pay.")
    inbound: int = Field(description="Inbound contacts (not counted as attempts).")
    right_party_contact_rate: float | None = Field(
        description="right_party_contacts ÷ attempts; null without attempts."
    )
    promise_rate: float | None = Field(
        description="promises ÷ right_party_contacts; null without right-party contacts."
    )


class ChannelContacts(ContactFigures):
    channel: str


class PromiseFigures(ResponseModel):
    due: int = Field(
        description="Promise plans whose due date (last installment) falls in the range and that are "
        "resolved: completed or broken. Cancelled promises and promises still inside due date + "
        "grace are not counted."
    )
    kept: int = Field(
        description="Of those, promises fully paid by due date + grace_days (plan completed)."
    )
    kept_rate: float | None = Field(description="kept ÷ due; null when none was due.")


class ContactStats(ResponseModel):
    """Outreach in the range (by `occurred_at`) with its rates, overall and by channel."""

    scope: Scope
    total: ContactFigures
    by_channel: list[ChannelContacts]
    promises_kept: PromiseFigures = Field(
        description="The promise-kept rate over promises due in the range."
    )


class ReasonCount(ResponseModel):
    code: str
    decisions: int = Field(description="Decisions naming this reason code.")


class ComplianceStats(ResponseModel):
    """Compliance decisions in the range (by `at`): by outcome and by reason code."""

    scope: Scope
    total: int
    by_decision: dict[str, int] = Field(description="`allow` and `block` counts.")
    by_reason: list[ReasonCount] = Field(description="Most frequent first.")


class Collected(ResponseModel):
    currency: str
    amount_minor: int


class AgentStats(ResponseModel):
    agent_id: uuid.UUID
    name: str | None
    debts_worked: int = Field(description="Distinct debts the agent recorded a contact on.")
    contacts: int = Field(
        description="Contacts (any direction) recorded with the agent's `agent_id`."
    )
    promises: int = Field(description="Of those, contacts with outcome promise_to_pay.")
    collected: list[Collected] = Field(
        description="Payments in the range (by `paid_at`) on debts currently assigned to the agent."
    )


class AgentsStats(ResponseModel):
    """Per agent in the range; agents with neither contacts nor collections are left out."""

    scope: Scope
    items: list[AgentStats]


class RollCell(ResponseModel):
    from_bucket: BucketName
    to_bucket: str = Field(
        description="A bucket, or `resolved` when the debt was no longer open (paid, settled, "
        "written off, recalled, closed) or no longer present at period end."
    )
    debts: int
    rate: float = Field(description="debts ÷ debts in `from_bucket` at period start.")


class RollRateStats(ResponseModel):
    """Bucket-to-bucket movement between the snapshots of day `from` and day `to`.

    Roll rate X→Y = share of debts in bucket X on day `from` that sit in bucket Y on day `to`.
    Snapshots are taken once per lender-local day by `arrears sweep`, so both days are the lender's
    own calendar days (also when several lenders are aggregated); debts of lenders without a
    snapshot on either day are left out (`lenders_without_snapshot`).
    """

    scope: Scope
    start_debts: dict[str, int] = Field(description="Debts per bucket on day `from`.")
    cells: list[RollCell]
    lenders_without_snapshot: int
