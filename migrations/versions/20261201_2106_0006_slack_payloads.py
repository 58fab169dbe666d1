"""server-side state for what round-trips through Slack (drafts, modal context)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:06:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_payloads",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_payloads")),
        sa.UniqueConstraint("team_id", "token", name=op.f("uq_slack_payloads_team_id_token")),
    )
    with op.batch_alter_table("slack_payloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_payloads_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_payloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_payloads_team_id"))
    op.drop_table("slack_payloads")
