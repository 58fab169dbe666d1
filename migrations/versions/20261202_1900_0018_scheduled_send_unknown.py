"""scheduled sends: a fired send whose outcome is unknown (its worker died mid-send) ends `unknown`

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("pending", "sending", "sent", "refused", "cancelled")
NEW_STATUSES = (*OLD_STATUSES, "unknown")


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_scheduled_sends_scheduled_status"), type_="check")
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.create_check_constraint("scheduled_status", sa.text(f"status IN ({listed})"))


def upgrade() -> None:
    _allow(NEW_STATUSES)


def downgrade() -> None:
    # `sent` is the nearest older status: the row was handed to the send path, its outcome note says
    # it is unknown, and neither is ever fired again.
    op.execute("UPDATE scheduled_sends SET status = 'sent' WHERE status = 'unknown'")
    _allow(OLD_STATUSES)
