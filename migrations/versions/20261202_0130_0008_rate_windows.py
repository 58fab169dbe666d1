"""rate budgets as sliding windows: the last `burst` send slots instead of a GCRA arrival time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A budget row only remembers the last second or so of requests: starting afresh loses nothing.
    op.execute("DELETE FROM rate_limit_buckets")
    with op.batch_alter_table("rate_limit_buckets", schema=None) as batch_op:
        batch_op.drop_column("tat")
        batch_op.add_column(sa.Column("slots", sa.JSON(), nullable=False))


def downgrade() -> None:
    op.execute("DELETE FROM rate_limit_buckets")
    with op.batch_alter_table("rate_limit_buckets", schema=None) as batch_op:
        batch_op.drop_column("slots")
        batch_op.add_column(sa.Column("tat", sa.Double(), nullable=False))
