"""delivery statuses of the outbox, numbers users had conversations with, term codes, team access setting

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("pending", "sent", "failed", "unknown")
NEW_STATUSES = ("pending", "accepted", "delivered", "blocked", "undelivered", "failed", "unknown")


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.create_check_constraint("sms_status", sa.text(f"status IN ({listed})"))


def upgrade() -> None:
    # "sent" only ever meant "the provider accepted the request"; say so, and let delivery records go further.
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sms_messages_sms_status"), type_="check")
    op.execute("UPDATE sms_messages SET status = 'accepted' WHERE status = 'sent'")
    _allow(NEW_STATUSES)
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("status_checked_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("agents_see_all_numbers", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("term_codes", sa.JSON(), nullable=True))
    op.create_table(
        "number_contacts",
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("last_seen_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_contacts")),
        sa.UniqueConstraint(
            "team_id", "slack_user_id", "number", name=op.f("uq_number_contacts_team_id_slack_user_id_number")
        ),
    )
    with op.batch_alter_table("number_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_number_contacts_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("number_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_number_contacts_team_id"))
    op.drop_table("number_contacts")
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.drop_column("term_codes")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("agents_see_all_numbers")
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_column("status_checked_at")
        batch_op.drop_column("status_reason")
        batch_op.drop_constraint(op.f("ck_sms_messages_sms_status"), type_="check")
    # What the old schema cannot say falls back to the nearest thing it can.
    op.execute("UPDATE sms_messages SET status = 'sent' WHERE status IN ('accepted', 'delivered')")
    op.execute("UPDATE sms_messages SET status = 'failed' WHERE status IN ('blocked', 'undelivered')")
    _allow(OLD_STATUSES)
