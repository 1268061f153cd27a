"""Lenders: the creditors whose debts Arrears collects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.models import IdMixin, TimestampMixin
from app.core.types import JSONType


class Lender(IdMixin, TimestampMixin, Base):
    __tablename__ = "lenders"

    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    compliance_profiles: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    # The zone DPD is counted in.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    max_discount_pct: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    escalation_rules: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, nullable=False, default=list
    )
    assignment: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # The lender's own compliance rules (COMPLIANCE.md §1), as posted; parsed by app.rules.
    compliance_rules: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
