"""number flags: the compliance flags LiveVox last showed for a number, for when no inbox of ours shows them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:54:54.503609+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "number_flags",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("do_not_contact_today", sa.Boolean(), nullable=False),
        sa.Column("sms_opted_in", sa.Boolean(), nullable=True),
        sa.Column("seen_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_flags")),
        sa.UniqueConstraint("team_id", "number", name=op.f("uq_number_flags_team_id_number")),
    )
    with op.batch_alter_table("number_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_number_flags_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("number_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_number_flags_team_id"))

    op.drop_table("number_flags")
