"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 13:14:56.796352+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_team_id"), ["team_id"], unique=False)

    op.create_table(
        "channel_mappings",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("livevox_service_id", sa.String(length=32), nullable=True),
        sa.Column("livevox_inbox", sa.String(length=100), nullable=True),
        sa.Column("zoom_queue_ids", sa.JSON(), nullable=False),
        sa.Column("sms_sender_code", sa.String(length=32), nullable=True),
        sa.Column("alerts_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_mappings")),
        sa.UniqueConstraint("team_id", "channel_id", name=op.f("uq_channel_mappings_team_id_channel_id")),
    )
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_mappings_team_id"), ["team_id"], unique=False)

    op.create_table(
        "digest_subscriptions",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
        sa.UniqueConstraint(
            "team_id", "channel_id", "name", name=op.f("uq_digest_subscriptions_team_id_channel_id_name")
        ),
    )
    with op.batch_alter_table("digest_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_subscriptions_team_id"), ["team_id"], unique=False)

    op.create_table(
        "provider_connections",
        sa.Column(
            "provider",
            sa.Enum(
                "livevox",
                "zoom",
                "routee",
                name="provider",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("environment", sa.String(length=32), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_connections")),
        sa.UniqueConstraint(
            "team_id", "provider", "name", name=op.f("uq_provider_connections_team_id_provider_name")
        ),
    )
    with op.batch_alter_table("provider_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_connections_team_id"), ["team_id"], unique=False)

    op.create_table(
        "sms_messages",
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "provider",
            sa.Enum(
                "livevox",
                "zoom",
                "routee",
                name="provider",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "unknown",
                name="sms_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint(
            "team_id", "idempotency_key", name=op.f("uq_sms_messages_team_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_messages_team_id"), ["team_id"], unique=False)

    op.create_table(
        "user_mappings",
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "agent",
                "supervisor",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("livevox_agent_id", sa.String(length=32), nullable=True),
        sa.Column("livevox_login", sa.String(length=100), nullable=True),
        sa.Column("zoom_user_id", sa.String(length=64), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_mappings")),
        sa.UniqueConstraint("team_id", "slack_user_id", name=op.f("uq_user_mappings_team_id_slack_user_id")),
    )
    with op.batch_alter_table("user_mappings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_mappings_team_id"), ["team_id"], unique=False)

    op.create_table(
        "workspaces",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("uninstalled_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("team_id", name=op.f("uq_workspaces_team_id")),
    )
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workspaces_team_id"), ["team_id"], unique=False)

    op.create_table(
        "digest_runs",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "running",
                "posted",
                "failed",
                name="digest_run_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("started_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name=op.f("fk_digest_runs_subscription_id_digest_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
        sa.UniqueConstraint(
            "subscription_id", "scheduled_for", name=op.f("uq_digest_runs_subscription_id_scheduled_for")
        ),
    )
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_runs_team_id"), ["team_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_runs_team_id"))

    op.drop_table("digest_runs")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspaces_team_id"))

    op.drop_table("workspaces")
    with op.batch_alter_table("user_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_mappings_team_id"))

    op.drop_table("user_mappings")
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_messages_team_id"))

    op.drop_table("sms_messages")
    with op.batch_alter_table("provider_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_connections_team_id"))

    op.drop_table("provider_connections")
    with op.batch_alter_table("digest_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_subscriptions_team_id"))

    op.drop_table("digest_subscriptions")
    with op.batch_alter_table("channel_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_mappings_team_id"))

    op.drop_table("channel_mappings")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_team_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
