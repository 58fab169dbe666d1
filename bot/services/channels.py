"""Channel mappings: which LiveVox service (inbox), Zoom queues and SMS sender a Slack channel works with.

Values are validated here, so every surface (slash command, future modals, the CLI) agrees on what a
valid mapping is; every change writes an audit event in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelMapping
from bot.db.repositories import AuditRepository, ChannelMappingRepository, WorkspaceRepository
from bot.errors import InputError

# Zoom ids are url-safe base64-ish strings; anything else is a typo (or pasted markup).
QUEUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A numeric sender (short code or long number, optionally with +) or an alphanumeric sender id:
# carriers allow at most 11 characters and at least one letter for the latter.
NUMERIC_SENDER = re.compile(r"^\+?[0-9]{3,15}$")
ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
MAX_QUEUES = 50


@dataclass(frozen=True)
class MappingChange:
    """What to change; None leaves a value as it is."""

    service_id: str | None = None
    queue_ids: list[str] | None = None
    sender_code: str | None = None
    alerts: bool | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.service_id, self.queue_ids, self.sender_code, self.alerts))


def validate_service_id(value: str) -> str:
    value = value.strip()
    if not value.isdigit() or len(value) > 32:
        raise InputError(f"inbox= takes a LiveVox service id (digits), not `{value}`.")
    return value


def validate_queue_ids(values: list[str]) -> list[str]:
    queues: list[str] = []
    for raw in values:
        queue = raw.strip()
        if not queue:
            continue
        if not QUEUE_ID.match(queue):
            raise InputError(f"queues= takes Zoom queue ids (letters, digits, - and _), not `{queue}`.")
        if queue not in queues:
            queues.append(queue)
    if len(queues) > MAX_QUEUES:
        raise InputError(f"queues= takes at most {MAX_QUEUES} queue ids.")
    return queues


def validate_sender(value: str) -> str:
    value = value.strip()
    if NUMERIC_SENDER.match(value) or ALPHA_SENDER.match(value):
        return value
    raise InputError(
        f"sender= takes a numeric sender (digits) or an alphanumeric sender id of at most 11 letters "
        f"and digits, not `{value}`."
    )


class ChannelService:
    """Channel mappings of one workspace, changed by `actor` (a Slack user id or `cli:<name>`)."""

    def __init__(self, session: AsyncSession, team_id: str, *, actor: str) -> None:
        self.team_id = team_id
        self.actor = actor
        self._session = session
        self._channels = ChannelMappingRepository(session, team_id)
        self._audit = AuditRepository(session, team_id)

    async def get(self, channel_id: str) -> ChannelMapping | None:
        return await self._channels.get(channel_id)

    async def map(self, channel_id: str, change: MappingChange) -> tuple[ChannelMapping, bool]:
        """Create or update the mapping of `channel_id`; returns it and whether it was new."""
        if change.empty:
            raise InputError("Nothing to set: give inbox=…, queues=…, sender=… or alerts=on|off.")
        fields: dict[str, object] = {}
        if change.service_id is not None:
            fields["livevox_service_id"] = validate_service_id(change.service_id)
        if change.queue_ids is not None:
            fields["zoom_queue_ids"] = validate_queue_ids(change.queue_ids)
        if change.sender_code is not None:
            fields["sms_sender_code"] = validate_sender(change.sender_code)
        if change.alerts is not None:
            fields["alerts_enabled"] = change.alerts
        await WorkspaceRepository(self._session, self.team_id).ensure()
        row, created = await self._channels.upsert(channel_id, **fields)
        await self._audit.record(
            self.actor,
            "channel.mapped",
            target_type="channel",
            target_id=channel_id,
            details={"created": created, "changed": sorted(fields), **describe(row)},
        )
        return row, created

    async def clear(self, channel_id: str) -> None:
        if not await self._channels.delete(channel_id):
            raise InputError("This channel has no mapping to clear.")
        await self._audit.record(self.actor, "channel.cleared", target_type="channel", target_id=channel_id)


def describe(row: ChannelMapping) -> dict[str, object]:
    """A mapping's values as plain data (for the audit trail and for rendering)."""
    return {
        "livevox_service_id": row.livevox_service_id,
        "livevox_inbox": row.livevox_inbox,
        "zoom_queue_ids": list(row.zoom_queue_ids or []),
        "sms_sender_code": row.sms_sender_code,
        "alerts_enabled": bool(row.alerts_enabled) if row.alerts_enabled is not None else True,
    }
