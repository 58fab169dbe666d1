"""channel mappings: who turned on the alerts of channels whose alerts were on before 0021, from the audit trail

0021 added `alerts_by` (whom Switchboard tells when a channel refuses its alerts for good), empty for the
channels whose alerts were already on. The audit trail knows who turned them on: the latest `channel.mapped`
event of the channel that changed `alerts_enabled`, when it turned them on. A channel with no such event (or
whose latest one turned them off, which the mapping contradicts) stays empty, as before: nobody is told by
DM, and `/switchboard channel` and the audit trail still say it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 16:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables as this revision knows them (not the models, which move on).
mappings = sa.table(
    "channel_mappings",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("channel_id", sa.String),
    sa.column("alerts_enabled", sa.Boolean),
    sa.column("alerts_by", sa.String),
)
audit = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.String),
    sa.column("details", sa.JSON),
)


def upgrade() -> None:
    bind = op.get_bind()
    unknown = bind.execute(
        sa.select(mappings.c.id, mappings.c.team_id, mappings.c.channel_id).where(
            mappings.c.alerts_enabled.is_(True), mappings.c.alerts_by.is_(None)
        )
    ).all()
    for mapping_id, team_id, channel_id in unknown:
        events = bind.execute(
            sa.select(audit.c.actor, audit.c.details)
            .where(
                audit.c.team_id == team_id,
                audit.c.action == "channel.mapped",
                audit.c.target_type == "channel",
                audit.c.target_id == channel_id,
            )
            .order_by(audit.c.id.desc())
        ).all()  # read whole before the UPDATE below, on the same connection
        for actor, details in events:
            if not isinstance(details, dict) or "alerts_enabled" not in (details.get("changed") or []):
                continue  # a change of something else (the inbox, the interval)
            if details.get("alerts_enabled") is True and actor:
                bind.execute(
                    sa.update(mappings).where(mappings.c.id == mapping_id).values(alerts_by=str(actor)[:64])
                )
            break  # the latest change of the alerts decides


def downgrade() -> None:
    # Nothing to undo: 0021's downgrade drops the column, and what this filled in is true either way.
    pass
