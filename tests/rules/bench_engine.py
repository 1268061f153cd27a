"""Micro-benchmark: µs per evaluation for a few typical contexts (run as a script, not collected).

.venv/bin/python -m tests.rules.bench_engine
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from app.rules import Address, EvaluationContext, HistoryContact, evaluate

AT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def _history(debt_id: str, count: int) -> tuple[HistoryContact, ...]:
    outcomes = ("no_answer", "voicemail", "reserved", "busy")
    return tuple(
        HistoryContact(f"c{i}", AT - timedelta(hours=20 * i + 3), "phone", "outbound",
                       outcomes[i % 4], frozenset({debt_id}), "+16175550100", "cell",
                       "collection", "live")
        for i in range(count)
    )  # fmt: skip


def contexts() -> dict[str, EvaluationContext]:
    """A few typical requests."""
    return {
        "us_phone_3_history": EvaluationContext(
            at=AT, debt_id="d1", channel="phone", address=Address("US", "NY", "Albany", "12207"),
            destination="+15185550100", destination_type="cell", history=_history("d1", 3),
        ),
        "us_ma_phone_10_history": EvaluationContext(
            at=AT, debt_id="d1", channel="phone", address=Address("US", "MA", "Boston", "02110"),
            destination="+16175550100", destination_type="cell", history=_history("d1", 10),
        ),
        "au_sms_no_history": EvaluationContext(
            at=AT, debt_id="d1", channel="sms", address=Address("AU", "NSW", "Sydney", "2000"),
            destination="+61412345678", destination_type="cell",
        ),
        "us_phone_blocked_night": EvaluationContext(
            at=AT.replace(hour=4), debt_id="d1", channel="phone",
            address=Address("US", "TX", "Austin", "73301"), destination="+15125550100",
            destination_type="cell", history=_history("d1", 3),
        ),
    }  # fmt: skip


def main() -> None:
    """Print µs per evaluation for each context."""
    rounds = 10_000
    for name, ctx in contexts().items():
        decision = evaluate(ctx)  # warm the caches
        best = float("inf")
        for _ in range(5):  # best of five: the least disturbed run
            started = time.perf_counter()
            for _ in range(rounds):
                evaluate(ctx)
            best = min(best, time.perf_counter() - started)
        print(f"{name:28s} {decision.decision:5s} {best / rounds * 1e6:7.1f} µs/evaluation")


if __name__ == "__main__":
    main()
