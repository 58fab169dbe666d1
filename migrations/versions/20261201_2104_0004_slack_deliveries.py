"""slack deliveries: each event or request Slack may deliver twice is done once

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:04:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys are "event:<event_id>" (Events API retries) or "signature:<sha256>" (a signed request replayed);
    # rows live until expires_at and are deleted by the next claim of the same team (bot/db/repositories/
    # deliveries.py), so the table stays small without a periodic job.
    op.create_table(
        "slack_deliveries",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("expires_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_deliveries")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_slack_deliveries_team_id_key")),
    )
    with op.batch_alter_table("slack_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_slack_deliveries_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_slack_deliveries_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_deliveries_team_id"))
        batch_op.drop_index("ix_slack_deliveries_expires_at")

    op.drop_table("slack_deliveries")
