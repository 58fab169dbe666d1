from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.channels import ChannelMappingRepository
from bot.db.repositories.claims import ActionClaimRepository
from bot.db.repositories.connections import ConnectionRepository
from bot.db.repositories.contacts import NumberContactRepository, NumberFlagsRepository
from bot.db.repositories.deliveries import SlackDeliveryRepository
from bot.db.repositories.digests import DigestRepository
from bot.db.repositories.opt_outs import OptOutRepository
from bot.db.repositories.payloads import SlackPayloadRepository
from bot.db.repositories.sms import SmsMessageRepository
from bot.db.repositories.users import UserMappingRepository
from bot.db.repositories.workspaces import WorkspaceRepository, all_team_ids, enterprise_team_ids

__all__ = [
    "ActionClaimRepository",
    "AuditRepository",
    "ChannelMappingRepository",
    "ConnectionRepository",
    "DigestRepository",
    "NumberContactRepository",
    "NumberFlagsRepository",
    "OptOutRepository",
    "SlackDeliveryRepository",
    "SlackPayloadRepository",
    "SmsMessageRepository",
    "UserMappingRepository",
    "WorkspaceRepository",
    "all_team_ids",
    "enterprise_team_ids",
]
