"""action claims: the job that claimed a key (its own retries are not repeats)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_claims", schema=None) as batch_op:
        batch_op.drop_column("owner")
