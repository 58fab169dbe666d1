"""Who may see a number and act on a LiveVox thread: the one rule every read and every thread action asks.

Numbers. Supervisors and admins may see any number. An agent may see a number they have or had a
conversation with: a LiveVox thread with it in one of their inboxes now, one Switchboard saw there before
(transferred or resolved since: `number_contacts`, kept by `ContactBook`), or an SMS they sent it through
Switchboard (the outbox). The team setting `workspaces.agents_see_all_numbers` (`/switchboard access
agents=all`) opens every number to agents. `/lookup`, `/sms logs`, `/calls` and their buttons and
shortcuts all ask `NumberAccess`, and `/switchboard help` states `AGENT_NUMBERS`.

Threads. Supervisors and admins may act on any thread (LiveVox still decides what their session may
change). An agent may change a thread only while LiveVox lists it in their personal inbox or in a group
inbox they belong to; they may read its history also after it left their inboxes (`ThreadAccess.readable`),
by the number rule above. A thread id that comes back from Slack (a button, a modal) is only a claim:
`ThreadAccess` looks the thread up in LiveVox, as the person, at the moment of acting.

Every refusal is written to the audit trail (`access.denied`, with what was attempted) and raised as
`AccessDenied`, whose text says what was refused and why.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Role
from bot.errors import SwitchboardError
from bot.phones import mask
from bot.providers.livevox import LiveVoxClient
from bot.providers.livevox.errors import LiveVoxError
from bot.providers.livevox.models import Channel, Thread
from bot.services.audit import AuditService
from bot.services.contacts import ContactBook
from bot.services.identity import Identity
from bot.services.providers import Providers

if TYPE_CHECKING:
    from bot.services.history import HistoryService

log = logging.getLogger(__name__)

OPEN_ALL = "`/switchboard access agents=all`"
AGENT_NUMBERS = (
    "Agents see the numbers they have or had a conversation with (a LiveVox thread of theirs, also after "
    "it was transferred or resolved, or an SMS they sent to it through Switchboard), or every number when an "
    f"admin opened them all ({OPEN_ALL}); they act on the threads of their own and their group inboxes. "
    "Supervisors and admins see every number and thread."
)
CHANNELS_TTL = 60.0
"""Seconds an agent's inbox list is reused: inboxes change only when an admin changes the agent's services;
the threads in them are always listed fresh."""


class AccessDenied(SwitchboardError):
    """Someone asked for a number or a thread they may not see; the text says what and why."""


async def _refuse(
    audit: AuditService,
    identity: Identity,
    what: str,
    *,
    target_type: str,
    target_id: str,
    reason: str,
) -> None:
    await audit.record(
        identity.team_id,
        identity.user_id,
        "access.denied",
        target_type=target_type,
        target_id=target_id,
        outcome="denied",
        details={"what": what, "required": Role.SUPERVISOR.value, "reason": reason},
    )


class ThreadAccess:
    """Checks, on LiveVox's own data, that a person may act on a thread."""

    def __init__(
        self, audit: AuditService, *, channels_ttl: float = CHANNELS_TTL, contacts: ContactBook | None = None
    ) -> None:
        self.audit = audit
        self.channels_ttl = channels_ttl
        self.contacts = contacts

    async def readable(
        self, providers: Providers, identity: Identity, thread_id: str, *, kind: str = "SMS", what: str
    ) -> Thread | None:
        """Like `check`, for reading a thread: an agent may also read one Switchboard saw in their view
        before (transferred or resolved since), or any when the team opened every number to agents."""
        if identity.may(Role.SUPERVISOR) or self.contacts is None:
            return await self.check(providers, identity, thread_id, kind=kind, what=what)
        if thread_id and (
            await self.contacts.had_thread(identity, thread_id)
            or await self.contacts.agents_see_all(identity.team_id)
        ):
            return None
        return await self.check(providers, identity, thread_id, kind=kind, what=what)

    async def check(
        self, providers: Providers, identity: Identity, thread_id: str, *, kind: str = "SMS", what: str
    ) -> Thread | None:
        """The thread as LiveVox lists it in one of the person's inboxes (its channel, account and number
        are then LiveVox's, not the click's); None for a supervisor, who may act on any thread.

        Raises `AccessDenied` (audited) when an agent's inboxes do not hold it. Provider failures propagate:
        without an answer from LiveVox nothing is allowed.
        """
        if identity.may(Role.SUPERVISOR):
            return None
        client = providers.livevox_agent(identity.livevox_login)
        found = await self._find(client, thread_id, kind) if client is not None and thread_id else None
        if found is None:
            # One Switchboard showed them before has moved on since (taken, transferred or resolved by
            # someone else): a stale card, not someone reaching for another agent's thread.
            moved = (
                bool(thread_id)
                and self.contacts is not None
                and await self.contacts.had_thread(identity, thread_id)
            )
            await _refuse(
                self.audit,
                identity,
                what,
                target_type="thread",
                target_id=thread_id[:64],
                reason="left the agent's inboxes" if moved else "not in the agent's inboxes",
            )
            if moved:
                raise AccessDenied(
                    "It has left your inboxes since this card was shown (someone took, transferred or "
                    "resolved it), so Switchboard did not touch it; run `/threads` for the current list."
                )
            raise AccessDenied(
                "It is not in your personal inbox or a group inbox of yours, so Switchboard did not touch "
                "it. Agents work the threads of their own inboxes; supervisors any thread."
            )
        return found

    async def find(
        self, providers: Providers, identity: Identity, thread_id: str, *, kind: str = "SMS"
    ) -> Thread | None:
        """The thread as LiveVox lists it, for someone who may act on any (a supervisor): through their
        own session, else the inboxes of the team's agents (those Switchboard saw holding it first). None
        when no inbox the team can read holds it. Provider failures propagate."""
        held = await self.holding(providers, identity, thread_id, kind=kind)
        return held[2] if held is not None else None

    async def holding(
        self, providers: Providers, identity: Identity, thread_id: str, *, kind: str = "SMS"
    ) -> tuple[Identity, LiveVoxClient, Thread] | None:
        """`find`, saying whose inboxes list the thread and through which session: the person's own
        first, then each linked colleague's (those Switchboard saw holding it first)."""
        readers: list[tuple[Identity, LiveVoxClient]] = []
        own = providers.livevox_agent(identity.livevox_login)
        if own is not None:
            readers.append((identity, own))
        if self.contacts is not None and providers.livevox is not None and identity.team_id:
            members = await self.contacts.linked_agents(identity.team_id)
            saw = [await self.contacts.had_thread(m, thread_id) for m in members]
            for _, member in sorted(zip(saw, members, strict=True), key=lambda pair: not pair[0]):
                client = providers.livevox_agent(member.livevox_login)
                if client is not None and all(client is not r for _, r in readers):
                    readers.append((member, client))
        for member, client in readers:
            thread = await self._find(client, thread_id, kind)
            if thread is not None:
                return member, client, thread
        return None

    async def _find(self, client: LiveVoxClient, thread_id: str, kind: str) -> Thread | None:
        try:
            return await self._search(
                client, await client.agent.channels(max_age=self.channels_ttl), thread_id, kind
            )
        except LiveVoxError as error:
            if error.status not in (403, 404):
                raise
            # A remembered inbox may be gone (the agent left a service): once more from a fresh list.
            client.agent.forget_channels()
            return await self._search(client, await client.agent.channels(), thread_id, kind)

    async def _search(
        self, client: LiveVoxClient, channels: list[Channel], thread_id: str, kind: str
    ) -> Thread | None:
        # The personal inbox first: most clicks are on one's own threads.
        inboxes = sorted(
            (
                c
                for c in channels
                if (c.channel or "").lower() == kind.lower() and c.channel_id not in (None, "")
            ),
            key=lambda c: not c.personal,
        )
        for channel in inboxes:
            thread = await self._in(client, channel, kind, thread_id)
            if thread is not None:
                return thread
        return None

    @staticmethod
    async def _in(client: LiveVoxClient, channel: Channel, kind: str, thread_id: str) -> Thread | None:
        assert channel.channel_id is not None
        async for thread in client.threads.list_all(channel.channel_id, kind, personal=channel.personal):
            if str(thread.thread_id) == thread_id:
                if thread.channel_id in (None, ""):
                    thread = thread.model_copy(update={"channel_id": channel.channel_id})
                return thread
        return None


class NumberAccess:
    """Checks that a person may see a number's history (SMS, calls) before anything about it is read."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], audit: AuditService, history: HistoryService
    ) -> None:
        self.sessions = sessions
        self.audit = audit
        self.history = history
        self.contacts = history.contacts or ContactBook(sessions)

    async def check(
        self, providers: Providers, identity: Identity, number: str, *, what: str
    ) -> list[Thread] | None:
        """The number's LiveVox threads in an agent's inboxes when the check had to list them (so a lookup
        need not list them again), or None when they were not needed (a supervisor; an agent Switchboard
        knows had a conversation with the number; a team that opened every number to agents).

        Raises `AccessDenied` (audited) when an agent has no conversation with the number. A LiveVox failure
        propagates: a transient one is retried by the job runner, a final one told in words.
        """
        if identity.may(Role.SUPERVISOR):
            return None
        if identity.linked:
            # The database first: it answers without LiveVox (which may be away just now).
            if await self.contacts.agents_see_all(identity.team_id):
                return None
            if await self.contacts.had_conversation(identity, number):
                return None
            threads = await self.history.livevox_threads(providers, identity, number)  # remembered there
            if threads:
                return threads
        await _refuse(
            self.audit,
            identity,
            what,
            target_type="phone",
            target_id=mask(number),
            reason="no conversation with the number",
        )
        raise AccessDenied(refusal(number))


def refusal(number: str) -> str:
    """What an agent refused a number is told: what, why, and who can change it."""
    return (
        f"You can see numbers you have or had a conversation with; {partly_shown(number)} is not one of "
        f"them. An admin can open every number to agents with {OPEN_ALL}."
    )


def partly_shown(e164: str) -> str:
    """+14155550199 → "+1 415 ••• 0199": enough to recognise the number, as much as a log line would show."""
    try:
        formatted = phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return mask(e164)
    groups = formatted.replace("-", " ").split()
    if len(groups) < 3:
        return mask(e164)
    return " ".join([groups[0], groups[1], "•••", groups[-1]])


def shown(e164: str) -> str:
    """+14155550100 → "+1 415-555-0100": a refusal names the number the way the person wrote it."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164
