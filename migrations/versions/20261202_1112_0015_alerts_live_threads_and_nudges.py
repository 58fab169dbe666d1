"""alerts, live threads and nudges: what a card shows and says, the Slack thread posted through, the
reminders given; a channel's reminder settings; alerts off until a channel asks for them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 11:12:02.192602+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_cards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("replied_through", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nudge_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("escalate_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("on_duty", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("supervisor", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("working_hours", sa.JSON(), nullable=True))
        # Off until asked for (`alerts=on`): nothing was posted before this release, so no channel
        # loses alerts it had, and none starts getting them from an upgrade.
        batch_op.alter_column("alerts_enabled", server_default=sa.false())
    op.execute(sa.text("UPDATE channel_mappings SET alerts_enabled = false"))

    with op.batch_alter_table("inbox_threads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("announced", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("read", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("holder_user", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("status_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("nudged_for", bot.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_for", bot.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_threads", schema=None) as batch_op:
        batch_op.drop_column("escalated_for")
        batch_op.drop_column("nudged_for")
        batch_op.drop_column("snapshot")
        batch_op.drop_column("status_note")
        batch_op.drop_column("holder_user")
        batch_op.drop_column("read")
        batch_op.drop_column("announced")

    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.drop_column("working_hours")
        batch_op.drop_column("supervisor")
        batch_op.drop_column("on_duty")
        batch_op.drop_column("escalate_seconds")
        batch_op.drop_column("nudge_seconds")
        batch_op.alter_column("alerts_enabled", server_default=sa.true())

    with op.batch_alter_table("alert_cards", schema=None) as batch_op:
        batch_op.drop_column("replied_through")
