"""What Switchboard remembers of people's conversations with numbers, and the team's access setting.

LiveVox shows an agent only the threads in their inboxes right now: a thread they transferred or resolved
vanishes from their view. Switchboard writes down each number it sees in a person's threads (listed,
taken, transferred, resolved, replied to) in `number_contacts`, so the access rule ("numbers you have or
had a conversation with") and the timelines (the threads' history) do not forget them. Numbers texted
through Switchboard are in the outbox (`sms_messages`) already.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import SmsMessage
from bot.db.repositories import (
    AuditRepository,
    NumberContactRepository,
    NumberFlagsRepository,
    SmsMessageRepository,
    UserMappingRepository,
    WorkspaceRepository,
)
from bot.db.session import transaction
from bot.phones import mask
from bot.services.compliance import ComplianceState
from bot.services.identity import Identity

log = logging.getLogger(__name__)


def e164(number: str | None) -> str | None:
    """LiveVox's "14155550100" / "4155550100" → "+14155550100" (None when there are no digits)."""
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    if not digits:
        return None
    if len(digits) == 10:  # LiveVox may drop the US country code
        digits = "1" + digits
    return "+" + digits


class ContactBook:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def remember(self, identity: Identity, seen: Iterable[tuple[str | None, str | None]]) -> None:
        """Record that `identity` had a conversation with each (number, thread id) of `seen`.

        Never fails the request that saw them: a lost row costs a later refusal, not this answer."""
        await self.remember_many([(identity, seen)])

    async def settle_flags(self, team_id: str, number: str, state: ComplianceState) -> ComplianceState:
        """The flags to show for `number`: LiveVox's, just read, are remembered and shown; when no read
        showed any (the threads moved to someone Switchboard has no link for), the last ones LiveVox
        showed, with when. Never fails the request (a lost write costs a later "unknown")."""
        plus = e164(number)
        if plus is None or not team_id:
            return state
        try:
            async with transaction(self.sessions) as session:
                flags = NumberFlagsRepository(session, team_id)
                if state.known:
                    await flags.put(
                        plus,
                        do_not_contact=state.do_not_contact,
                        do_not_contact_today=state.do_not_contact_today,
                        sms_opted_in=state.sms_opted_in,
                        seen_at=utcnow(),
                    )
                    return state
                row = await flags.get(plus)
        except Exception as error:  # bookkeeping only
            log.warning("could not settle compliance flags", extra={"error": type(error).__name__})
            return state
        if row is None:
            return state
        return ComplianceState(
            known=True,
            do_not_contact=row.do_not_contact,
            do_not_contact_today=row.do_not_contact_today,
            sms_opted_in=row.sms_opted_in,
            as_of=row.seen_at,
        )

    async def remember_many(
        self, seen: Sequence[tuple[Identity, Iterable[tuple[str | None, str | None]]]]
    ) -> None:
        """`remember` for several people at once (a supervisor's view of the team's inboxes): one
        transaction, however many agents. Never fails the request that saw them."""
        by_user: dict[tuple[str, str], dict[str, str | None]] = {}
        for identity, pairs in seen:
            if not identity.linked or not identity.team_id:
                continue
            mine = by_user.setdefault((identity.team_id, identity.user_id), {})
            for number, thread_id in pairs:
                plus = e164(number)
                if plus is not None:
                    mine[plus] = thread_id or mine.get(plus)
        by_user = {key: numbers for key, numbers in by_user.items() if numbers}
        if not by_user:
            return
        try:
            async with transaction(self.sessions) as session:
                for (team_id, user_id), numbers in by_user.items():
                    await NumberContactRepository(session, team_id).record_many(user_id, numbers)
        except Exception as error:  # bookkeeping only; the caller's answer goes on
            log.warning(
                "could not remember contacts",
                extra={
                    "numbers": sorted({mask(n) for numbers in by_user.values() for n in numbers}),
                    "error": type(error).__name__,
                },
            )

    async def had_conversation(self, identity: Identity, number: str) -> bool:
        """A thread of theirs Switchboard saw with the number, or an SMS they sent it through Switchboard."""
        async with self.sessions() as session:
            if await NumberContactRepository(session, identity.team_id).had(identity.user_id, number):
                return True
            return await SmsMessageRepository(session, identity.team_id).texted(identity.user_id, number)

    async def had_thread(self, identity: Identity, thread_id: str) -> bool:
        """Switchboard saw this thread in the person's view before (it may have left it since)."""
        async with self.sessions() as session:
            return await NumberContactRepository(session, identity.team_id).had_thread(
                identity.user_id, thread_id
            )

    async def holder(self, identity: Identity, thread_id: str) -> Identity | None:
        """The linked colleague in whose inbox Switchboard last saw the thread, or None when that was the
        person themselves, nobody, or someone no longer linked to a LiveVox login."""
        async with self.sessions() as session:
            seen = await NumberContactRepository(session, identity.team_id).seen_by(thread_id)
        if not seen or seen[0] == identity.user_id:
            return None
        return next((m for m in await self.linked_agents(identity.team_id) if m.user_id == seen[0]), None)

    async def thread_ids(self, team_id: str, number: str) -> list[str]:
        """Every LiveVox thread of the number Switchboard saw (anyone's), replies' threads included."""
        async with self.sessions() as session:
            seen = await NumberContactRepository(session, team_id).thread_ids(number)
            replied = await SmsMessageRepository(session, team_id).thread_ids(number)
        return list(dict.fromkeys([*seen, *replied]))

    async def outbox(self, team_id: str, number: str, since: datetime, until: datetime) -> list[SmsMessage]:
        async with self.sessions() as session:
            return await SmsMessageRepository(session, team_id).to_number(number, since=since, until=until)

    async def linked_agents(self, team_id: str) -> list[Identity]:
        """Everyone of the team linked to a LiveVox agent login (whose inboxes a supervisor's view spans)."""
        async with self.sessions() as session:
            rows = await UserMappingRepository(session, team_id).list()
        return [Identity.from_mapping(team_id, r.slack_user_id, r) for r in rows if r.livevox_login]

    async def agents_see_all(self, team_id: str) -> bool:
        """The team setting `/switchboard access agents=all`."""
        async with self.sessions() as session:
            workspace = await WorkspaceRepository(session, team_id).get()
        return bool(workspace is not None and workspace.agents_see_all_numbers)

    async def set_agents_see_all(self, team_id: str, actor: str, value: bool) -> bool:
        """Change the team setting (audited); True when it changed."""
        async with transaction(self.sessions) as session:
            workspace = await WorkspaceRepository(session, team_id).ensure()
            before = bool(workspace.agents_see_all_numbers)
            workspace.agents_see_all_numbers = value
            await session.flush()
            await AuditRepository(session, team_id).record(
                actor,
                "workspace.access_changed",
                target_type="workspace",
                target_id=team_id,
                details={"agents": "all" if value else "own", "before": "all" if before else "own"},
            )
        return before != value
