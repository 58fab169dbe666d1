"""inbox alerts: the poller's state per inbox, the threads it has seen, their cards per channel

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:42:37.996787+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_polls",
        sa.Column("inbox", sa.String(length=64), nullable=False),
        sa.Column("first_polled_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_polled_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_poll_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_polls")),
        sa.UniqueConstraint("team_id", "inbox", name=op.f("uq_inbox_polls_team_id_inbox")),
    )
    with op.batch_alter_table("inbox_polls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_polls_team_id"), ["team_id"], unique=False)

    op.create_table(
        "inbox_threads",
        sa.Column("inbox", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("summarized", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("last_message_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_threads")),
        sa.UniqueConstraint(
            "team_id", "inbox", "thread_id", name=op.f("uq_inbox_threads_team_id_inbox_thread_id")
        ),
    )
    with op.batch_alter_table("inbox_threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_threads_team_id"), ["team_id"], unique=False)

    op.create_table(
        "alert_cards",
        sa.Column("thread_row_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["thread_row_id"],
            ["inbox_threads.id"],
            name=op.f("fk_alert_cards_thread_row_id_inbox_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_cards")),
        sa.UniqueConstraint(
            "thread_row_id", "channel_id", name=op.f("uq_alert_cards_thread_row_id_channel_id")
        ),
    )
    with op.batch_alter_table("alert_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_cards_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alerts_interval_seconds", sa.Integer(), server_default="30", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.drop_column("alerts_interval_seconds")

    with op.batch_alter_table("alert_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_cards_team_id"))

    op.drop_table("alert_cards")
    with op.batch_alter_table("inbox_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_threads_team_id"))

    op.drop_table("inbox_threads")
    with op.batch_alter_table("inbox_polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_polls_team_id"))

    op.drop_table("inbox_polls")
