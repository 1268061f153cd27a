"""contact_points.time_zones: a phone's time zones, found once when the number is added

The zones a phone number gives (COMPLIANCE.md §2) come from phonenumbers' metadata: parsing and
classifying a number costs about as much as deciding a debt. The call list decides up to 100,000
debts in one request, each through its own number, so the zones are kept with the contact point
(found when the value is normalised) and the call list reads them instead. NULL for other
channels, and for a phone row this migration could not parse (the rules then find them live).

Existing phone rows are filled here, in batches, with the same function the service uses.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def upgrade() -> None:
    json_type = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )
    with op.batch_alter_table("contact_points") as batch:
        batch.add_column(sa.Column("time_zones", json_type, nullable=True))
    from app.rules.zones import phone_zones

    points = sa.table(
        "contact_points",
        sa.column("id", sa.Uuid()),
        sa.column("channel", sa.String()),
        sa.column("value", sa.String()),
        sa.column("time_zones", json_type),
    )
    bind = op.get_bind()
    last = None
    while True:
        query = sa.select(points.c.id, points.c.value).where(points.c.channel == "phone")
        if last is not None:
            query = query.where(points.c.id > last)
        rows = bind.execute(query.order_by(points.c.id).limit(_BATCH)).all()
        if not rows:
            break
        bind.execute(
            points.update().where(points.c.id == sa.bindparam("pid")),
            [{"pid": row.id, "time_zones": list(phone_zones(row.value))} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("contact_points") as batch:
        batch.drop_column("time_zones")
