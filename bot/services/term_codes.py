"""LiveVox term codes: how a conversation ended ("Paid in full", 1001), offered when resolving a thread.

LiveVox makes the term code optional (`termCodeId` of `POST /sms/agent/thread/resolve`, seed 001) and its API
has no list of a service's term codes, so admins tell Switchboard the ones the team uses: for the whole
workspace on the LiveVox connection (`provider_connections.settings["term_codes"]`) or for one channel
(`channel_mappings.term_codes`, which then replaces the workspace's in that channel). Every change is
audited in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.crypto import CredentialBox
from bot.db.models import Provider
from bot.db.repositories import (
    AuditRepository,
    ChannelMappingRepository,
    ConnectionRepository,
    WorkspaceRepository,
)
from bot.errors import InputError

SETTINGS_KEY = "term_codes"
TERM_CODE_ID = re.compile(r"^[0-9]{1,10}$")  # LiveVox's termCodeId is an integer
MAX_NAME = 60
MAX_CODES = 100  # a select offers at most 100 options


@dataclass(frozen=True)
class TermCode:
    id: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})"


def validate_term_code_id(value: str) -> str:
    """A term code id as typed: digits only (LiveVox takes a number)."""
    value = value.strip()
    if not TERM_CODE_ID.match(value):
        raise InputError(f"A term code id is digits only, e.g. 1001, not `{value}`.")
    return value


def validate_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise InputError("Give the term code a name, e.g. `Paid in full`.")
    if len(name) > MAX_NAME:
        raise InputError(f"A term code name has at most {MAX_NAME} characters.")
    return name


def from_json(raw: Any) -> list[TermCode] | None:
    """Stored codes (a JSON list of {"id", "name"}), skipping anything malformed; None when not set."""
    if raw is None:
        return None
    codes: list[TermCode] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and TERM_CODE_ID.match(str(item.get("id", ""))):
            codes.append(TermCode(str(item["id"]), str(item.get("name") or item["id"])))
    return codes


def to_json(codes: list[TermCode]) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name} for c in codes]


@dataclass(frozen=True)
class TermCodes:
    """The workspace's codes (None: no LiveVox connection stored to keep them on) and a channel's own."""

    team: list[TermCode] | None
    channel: list[TermCode] | None

    @property
    def effective(self) -> list[TermCode]:
        """What a thread resolved from this channel is offered: the channel's own list, else the team's."""
        if self.channel is not None:
            return self.channel
        return self.team or []


class TermCodeService:
    def __init__(self, session: AsyncSession, team_id: str, *, actor: str, box: CredentialBox) -> None:
        self.team_id = team_id
        self.actor = actor
        self._session = session
        self._connections = ConnectionRepository(session, team_id, box)
        self._channels = ChannelMappingRepository(session, team_id)
        self._audit = AuditRepository(session, team_id)

    async def get(self, channel_id: str | None) -> TermCodes:
        connection = await self._connections.get(Provider.LIVEVOX)
        team = from_json((connection.settings or {}).get(SETTINGS_KEY)) or [] if connection else None
        mapping = await self._channels.get(channel_id) if channel_id else None
        return TermCodes(team, from_json(mapping.term_codes) if mapping is not None else None)

    async def add(self, code_id: str, name: str, *, channel_id: str | None = None) -> TermCode:
        code = TermCode(validate_term_code_id(code_id), validate_name(name))
        codes = await self._list(channel_id)
        if any(c.id == code.id for c in codes):  # the same id again: renamed in its place
            codes = [code if c.id == code.id else c for c in codes]
        elif len(codes) >= MAX_CODES:
            raise InputError(f"At most {MAX_CODES} term codes can be offered; remove one first.")
        else:
            codes = [*codes, code]
        await self._store(codes, channel_id)
        await self._record("termcode.added", code, channel_id)
        return code

    async def remove(self, code_id: str, *, channel_id: str | None = None) -> TermCode:
        code_id = validate_term_code_id(code_id)
        codes = await self._list(channel_id)
        found = next((c for c in codes if c.id == code_id), None)
        if found is None:
            where = "that channel" if channel_id else "this workspace"
            raise InputError(f"Term code {code_id} is not configured for {where}.")
        await self._store([c for c in codes if c.id != code_id], channel_id)
        await self._record("termcode.removed", found, channel_id)
        return found

    async def _list(self, channel_id: str | None) -> list[TermCode]:
        codes = await self.get(channel_id)
        if channel_id is None:
            if codes.team is None:
                raise InputError(
                    "The workspace's term codes are kept on its LiveVox connection, and there is none: "
                    "connect LiveVox (`/switchboard connect livevox`) or add them to a channel "
                    "(`/switchboard termcodes add <id> <name> #channel`)."
                )
            return codes.team
        return codes.channel or []

    async def _store(self, codes: list[TermCode], channel_id: str | None) -> None:
        if channel_id is None:
            connection = await self._connections.get(Provider.LIVEVOX)
            assert connection is not None  # checked by _list
            connection.settings = {**(connection.settings or {}), SETTINGS_KEY: to_json(codes)}
        else:
            await WorkspaceRepository(self._session, self.team_id).ensure()
            # A channel whose last code is removed offers the workspace's again.
            await self._channels.upsert(channel_id, term_codes=to_json(codes) or None)
        await self._session.flush()

    async def _record(self, action: str, code: TermCode, channel_id: str | None) -> None:
        await self._audit.record(
            self.actor,
            action,
            target_type="channel" if channel_id else "workspace",
            target_id=channel_id or self.team_id,
            details={"id": code.id, "name": code.name},
        )


def check_chosen(code_id: str, offered: list[TermCode]) -> TermCode | None:
    """The configured code a submission names (a select's value comes back from the client: it is only a
    claim), or None when it is not one of them."""
    return next((c for c in offered if c.id == code_id), None)


async def offered(
    sessions: async_sessionmaker[AsyncSession], box: CredentialBox, team_id: str, channel_id: str | None
) -> list[TermCode]:
    """The term codes a thread resolved from `channel_id` is offered (read, nothing changed)."""
    async with sessions() as session:
        codes = await TermCodeService(session, team_id, actor="", box=box).get(channel_id or None)
    return codes.effective
