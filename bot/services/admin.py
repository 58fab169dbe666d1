"""Administration: provider connections, user links, key rotation. Every change writes an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CredentialBox
from bot.db.models import Provider, ProviderConnection, Role, UserMapping
from bot.db.repositories import (
    AuditRepository,
    ConnectionRepository,
    UserMappingRepository,
    WorkspaceRepository,
)
from bot.errors import InputError
from bot.services.connection_fields import BASE_URL_KEY, FIELDS
from bot.services.term_codes import SETTINGS_KEY as TERM_CODES_KEY

LAST_ADMIN = "This workspace's last admin stays an admin: make someone else an admin first."


@dataclass(frozen=True)
class Overview:
    connections: list[ProviderConnection]
    users: list[UserMapping]


class AdminService:
    """Admin operations for one workspace, acting as `actor` (a Slack user id or `cli:<name>`)."""

    def __init__(self, session: AsyncSession, team_id: str, *, actor: str, box: CredentialBox) -> None:
        self.team_id = team_id
        self.actor = actor
        self._session = session
        self._connections = ConnectionRepository(session, team_id, box)
        self._users = UserMappingRepository(session, team_id)
        self._audit = AuditRepository(session, team_id)

    async def connect(
        self, provider: Provider, values: dict[str, str], *, name: str = "default"
    ) -> tuple[ProviderConnection, bool]:
        """Validate and store a connection: credentials encrypted, settings readable."""
        await WorkspaceRepository(self._session, self.team_id).ensure()
        credentials: dict[str, str] = {}
        settings: dict[str, Any] = {}
        for field in FIELDS[provider]:
            value = (values.get(field.key) or "").strip()
            if not value:
                if field.required:
                    raise InputError(f"{provider.value}: {field.label} ({field.key}) is required.")
                continue
            if field.choices and value.lower() not in {choice.lower() for choice in field.choices}:
                raise InputError(
                    f"{provider.value}: {field.key} must be one of {', '.join(field.choices)}, not {value!r}."
                    if not field.secret
                    else f"{provider.value}: {field.key} is not valid."
                )
            (credentials if field.credential else settings)[field.key] = value
        unknown = sorted(set(values) - {field.key for field in FIELDS[provider]})
        if unknown:
            raise InputError(f"{provider.value}: unknown field(s) {', '.join(unknown)}.")
        existing = await self._connections.get(provider, name)
        if existing is not None and TERM_CODES_KEY in (existing.settings or {}):
            # Not a field of the form: the term codes admins configured survive a reconnect.
            settings[TERM_CODES_KEY] = existing.settings[TERM_CODES_KEY]
        row, created = await self._connections.upsert(
            provider,
            name=name,
            credentials=credentials,
            settings=settings,
            base_url=settings.get(BASE_URL_KEY[provider]),
            environment=settings.get("environment"),
            created_by=self.actor,
        )
        await self._audit.record(
            self.actor,
            "connection.created" if created else "connection.updated",
            target_type="connection",
            target_id=f"{provider.value}/{name}",
            # Field names only: never a credential's value.
            details={"credential_fields": sorted(credentials), "settings": settings},
        )
        return row, created

    async def link_user(
        self,
        slack_user_id: str,
        *,
        role: Role | None = None,
        livevox_agent_id: str | None = None,
        livevox_login: str | None = None,
        zoom_user_id: str | None = None,
    ) -> tuple[UserMapping, bool]:
        await WorkspaceRepository(self._session, self.team_id).ensure()
        before = await self._users.get(slack_user_id)
        if before is not None and before.role is Role.ADMIN and role not in (None, Role.ADMIN):
            await self._keep_an_admin(slack_user_id)
        old = _link_values(before) if before is not None else None
        row, created = await self._users.link(
            slack_user_id,
            role=role,
            livevox_agent_id=livevox_agent_id,
            livevox_login=livevox_login,
            zoom_user_id=zoom_user_id,
        )
        new = _link_values(row)
        if created or new != old:  # a link that changed nothing (demo-seed run again) is not an event
            await self._audit.record(
                self.actor,
                "user.linked" if created else "user.updated",
                target_type="user",
                target_id=slack_user_id,
                details=new,
            )
        return row, created

    async def unlink_user(self, slack_user_id: str) -> None:
        row = await self._users.get(slack_user_id)
        if row is None:
            raise InputError(f"{slack_user_id} is not linked in this workspace.")
        if row.role is Role.ADMIN:
            await self._keep_an_admin(slack_user_id)
        await self._users.unlink(slack_user_id)
        await self._audit.record(self.actor, "user.unlinked", target_type="user", target_id=slack_user_id)

    async def _keep_an_admin(self, slack_user_id: str) -> None:
        """Refuse to demote or unlink the workspace's last admin: nobody could administer it any more."""
        if await self._users.count_admins(lock=True) <= 1:
            raise InputError(LAST_ADMIN)

    async def overview(self) -> Overview:
        return Overview(connections=await self._connections.list(), users=await self._users.list())

    async def rotate_keys(self) -> int:
        count = await self._connections.rotate()
        if count:
            await self._audit.record(
                self.actor, "connection.keys_rotated", target_type="workspace", details={"connections": count}
            )
        return count


def _link_values(row: UserMapping) -> dict[str, str | None]:
    """What a link says (for the audit trail, and to tell whether a link changed anything)."""
    return {
        "role": row.role.value,
        "livevox_agent_id": row.livevox_agent_id,
        "livevox_login": row.livevox_login,
        "zoom_user_id": row.zoom_user_id,
    }
