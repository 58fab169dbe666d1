"""channel mappings: who turned a channel's alerts on, and why Switchboard stopped them by itself

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alerts_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("alerts_stopped", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("alerts_stopped_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.drop_column("alerts_stopped_at")
        batch_op.drop_column("alerts_stopped")
        batch_op.drop_column("alerts_by")
