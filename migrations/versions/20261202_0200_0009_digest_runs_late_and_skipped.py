"""digest runs: a slot may be posted late or skipped (missed while everything was down)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("pending", "running", "posted", "failed")
NEW_STATUSES = (*OLD_STATUSES, "skipped")


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.create_check_constraint("digest_run_status", sa.text(f"status IN ({listed})"))


def upgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_digest_runs_digest_run_status"), type_="check")
        batch_op.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))
    _allow(NEW_STATUSES)


def downgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_digest_runs_digest_run_status"), type_="check")
        batch_op.drop_column("late")
    op.execute("UPDATE digest_runs SET status = 'failed' WHERE status = 'skipped'")
    _allow(OLD_STATUSES)
