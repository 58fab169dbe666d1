"""action claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 13:39:48.656281+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "action_claims",
        sa.Column("key", sa.String(length=200), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_claims")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_action_claims_team_id_key")),
    )
    with op.batch_alter_table("action_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_claims_team_id"), ["team_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("action_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_claims_team_id"))

    op.drop_table("action_claims")
