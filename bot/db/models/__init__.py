"""All tables; importing this package registers them on `Base.metadata` (Alembic relies on it)."""

from bot.db.models.action_claim import ActionClaim
from bot.db.models.audit_event import AuditEvent
from bot.db.models.channel_mapping import ChannelMapping
from bot.db.models.digest import DigestRun, DigestSubscription
from bot.db.models.enums import DigestRunStatus, Provider, Role, ScheduledStatus, SmsStatus
from bot.db.models.inbox_alert import AlertCard, InboxPoll, InboxThread
from bot.db.models.number_contact import NumberContact
from bot.db.models.number_flags import NumberFlags
from bot.db.models.opt_out import OptOut
from bot.db.models.provider_connection import ProviderConnection
from bot.db.models.rate_limit_bucket import RateLimitBucket
from bot.db.models.scheduled_send import ScheduledSend
from bot.db.models.slack_delivery import SlackDelivery
from bot.db.models.slack_install import slack_bots, slack_installations, slack_oauth_states
from bot.db.models.slack_payload import SlackPayload
from bot.db.models.sms_message import SmsMessage
from bot.db.models.user_mapping import UserMapping
from bot.db.models.workspace import Workspace

__all__ = [
    "ActionClaim",
    "AlertCard",
    "AuditEvent",
    "ChannelMapping",
    "DigestRun",
    "DigestRunStatus",
    "DigestSubscription",
    "InboxPoll",
    "InboxThread",
    "NumberContact",
    "NumberFlags",
    "OptOut",
    "Provider",
    "ProviderConnection",
    "RateLimitBucket",
    "Role",
    "ScheduledSend",
    "ScheduledStatus",
    "SlackDelivery",
    "SlackPayload",
    "SmsMessage",
    "SmsStatus",
    "UserMapping",
    "Workspace",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
]
