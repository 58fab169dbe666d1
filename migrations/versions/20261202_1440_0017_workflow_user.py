"""workspaces.workflow_user_id: the team's workflow service user (`/switchboard workflow-user`)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:40:58.265423+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workflow_user_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("workflow_user_id")
