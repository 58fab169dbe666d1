"""slack deliveries: no index of team_id alone (the unique (team_id, key) index leads with it)

Every request Slack sends inserts a row here; an index less is work less on each.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 19:40:27+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_deliveries_team_id"))


def downgrade() -> None:
    with op.batch_alter_table("slack_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_deliveries_team_id"), ["team_id"], unique=False)
