"""digest runs: run-now runs (outside the schedule, marked as such) and a heartbeat for the running one

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("manual")
