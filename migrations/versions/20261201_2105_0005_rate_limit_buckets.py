"""rate limit buckets shared by every process

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:05:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per provider account and rate class, updated by one atomic upsert per request
    # (bot/db/rate_budget.py); no team_id: a provider account's limit is shared by every workspace using it.
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("day_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_buckets")
