"""Working LiveVox SMS inboxes: list a person's threads, move, transfer, resolve and mark them, counts.

Every LiveVox call here acts as the person's own LiveVox agent (`Providers.livevox_agent`), because the
thread methods are agent-only and LiveVox decides what that agent may touch. Each state change is written
to the audit trail with the thread id as target, whether it worked or not. Nothing here knows about Slack.

Before each read or change of one thread, `ThreadAccess` checks on LiveVox's own data that the person may
act on it (`bot.services.access`): a thread id is whatever a client sent back, and LiveVox lets any agent
read or mark any thread.

Thread details carry the customer's `contactInfo`, sensitive fields (`ssn`, `dob`) included; `ThreadCard`
copies only the fields Switchboard shows, so those never travel further than this module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AuditEvent, Role, SmsMessage
from bot.db.repositories import AuditRepository, SmsMessageRepository, UserMappingRepository
from bot.errors import InputError, SwitchboardError
from bot.providers.livevox import LiveVoxClient, LiveVoxError
from bot.providers.livevox.models import Channel, ChannelCounts, Thread
from bot.services.access import AccessDenied, ThreadAccess
from bot.services.audit import AuditService
from bot.services.compliance import ComplianceState, from_contacts
from bot.services.contacts import ContactBook, e164
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.providers import Providers

log = logging.getLogger(__name__)
T = TypeVar("T")

LIVEVOX = "LiveVox"
THREAD = "thread"
CHANNEL_TYPES = {c.lower(): c for c in ("SMS", "Email", "Chat", "Voicemail", "Messaging")}
Scope = Literal["both", "personal", "group"]
# A change to a thread: the LiveVox call, through the session given, with what LiveVox lists of the thread.
Change = Callable[[LiveVoxClient, Thread | None], Awaitable[object]]
SCOPES: tuple[Scope, ...] = ("both", "personal", "group")

NO_LOGIN = (
    "Your Switchboard link has no LiveVox agent login, so Switchboard cannot open your inbox. "
    "Ask an admin to run `/switchboard link @you agent=<LiveVox agent id> login=<LiveVox login>`."
)
NO_AGENT_ID = (
    "Your Switchboard link has no LiveVox agent id. "
    "Ask an admin to run `/switchboard link @you agent=<LiveVox agent id>`."
)
NOT_CONNECTED = "LiveVox is not connected; an admin can connect it with `/switchboard connect livevox`."


class InboxUnavailable(SwitchboardError):
    """The person cannot work an inbox (no LiveVox login, LiveVox not connected); the text says why."""


# ----------------------------------------------------------------------------------------- what we show
@dataclass(frozen=True)
class ThreadCard:
    """What Switchboard shows of a thread. Strings are outside text: escape them before rendering."""

    thread_id: str
    channel_id: str  # the service id for a group inbox, the agent id for a personal one (mark read/unread)
    channel_type: str
    personal: bool
    inbox: str
    account: str | None
    number: str | None  # the customer's number, "+" and digits
    contact_name: str | None
    last_at: datetime | None
    read: bool | None
    compliance: ComplianceState = field(default_factory=ComplianceState)


@dataclass(frozen=True)
class InboxSummary:
    channel_id: str
    channel: str
    name: str
    personal: bool
    unread: int | None
    total: int | None


@dataclass
class ThreadList:
    cards: list[ThreadCard] = field(default_factory=list)
    inboxes: list[InboxSummary] = field(default_factory=list)
    truncated: bool = False  # more threads than `max_threads`; the first ones (newest) are kept
    team: bool = False  # the team's inboxes, not only the person's (a supervisor's or an admin's list)


@dataclass(frozen=True)
class Counts:
    unread_sms: int
    read_sms: int
    active_sms: int
    sms_sent: int


@dataclass(frozen=True)
class MemberCounts:
    user_id: str
    agent_id: str
    counts: Counts | None
    error: str | None = None


@dataclass
class InboxOverview:
    counts: Counts
    channels: list[InboxSummary]
    team: list[MemberCounts] | None = None  # supervisors and admins only


@dataclass(frozen=True)
class TransferCandidate:
    agent_id: str
    name: str
    login: str | None
    status: str | None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    inbound: bool | None
    text: str
    status: str | None


@dataclass
class Activity:
    events: list[AuditEvent]
    sms: list[SmsMessage]


# ------------------------------------------------------------------------------------------- helpers
def channel_type(word: str | None) -> str:
    if not word:
        return "SMS"
    found = CHANNEL_TYPES.get(word.lower())
    if found is None:
        raise InputError(f"`{word}` is not a channel type; use one of {', '.join(CHANNEL_TYPES.values())}.")
    return found


def _name(*parts: object) -> str | None:
    words = [str(p).strip() for p in parts if p not in (None, "", False) and str(p).strip()]
    return " ".join(words) or None


def card_from_thread(thread: Thread, channel: Channel | None = None) -> ThreadCard:
    """Copy the shown fields only (never `contact_info.ssn` / `dob`)."""
    info = thread.contact_info
    if thread.sms_inbound is True:
        number = thread.from_
    elif thread.sms_inbound is False:
        number = thread.to
    else:
        number = None
    if not number and info is not None and info.phones:
        number = info.phones[0].number
    number = e164(number)
    personal = bool(channel.personal) if channel is not None and channel.personal is not None else False
    channel_id = (
        thread.channel_id if thread.channel_id not in (None, "") else (channel and channel.channel_id)
    )
    return ThreadCard(
        thread_id=str(thread.thread_id),
        channel_id=str(channel_id or ""),
        channel_type=thread.channel_type or thread.channel or (channel.channel if channel else None) or "SMS",
        personal=personal,
        inbox=thread.channel_name or (channel.channel_name if channel else None) or "inbox",
        account=thread.account or (info.account if info else None),
        number=number,
        contact_name=_name(info.first_name, info.last_name) if info is not None else None,
        last_at=thread.occurred_at,
        read=thread.read,
        compliance=from_contacts([info], number or ""),
    )


def _counts(raw: ChannelCounts) -> Counts:
    return Counts(
        unread_sms=raw.count_of_unread_sms_threads_in_personal_inbox or 0,
        read_sms=raw.count_of_read_sms_threads_in_personal_inbox or 0,
        active_sms=raw.count_of_active_sms_threads_in_personal_inbox or 0,
        sms_sent=raw.count_of_sms_interactions_sent or 0,
    )


def _summary(channel: Channel) -> InboxSummary:
    return InboxSummary(
        channel_id=str(channel.channel_id or ""),
        channel=channel.channel or "",
        name=channel.channel_name or "inbox",
        personal=bool(channel.personal),
        unread=channel.unread_count,
        total=channel.total_count,
    )


# ------------------------------------------------------------------------------------------- service
class InboxService:
    def __init__(
        self,
        audit: AuditService,
        *,
        max_threads: int = 500,
        member_timeout: float = 8.0,
        contacts: ContactBook | None = None,
    ) -> None:
        self.audit = audit
        self.max_threads = max_threads
        self.member_timeout = member_timeout
        self.contacts = contacts  # what the person's threads showed is remembered there (access, history)
        self.access = ThreadAccess(audit, contacts=contacts)

    async def _remember(self, identity: Identity, cards: list[ThreadCard]) -> None:
        if self.contacts is not None:
            await self.contacts.remember(identity, [(c.number, c.thread_id) for c in cards])

    @staticmethod
    def agent(providers: Providers, identity: Identity) -> LiveVoxClient:
        """The LiveVox session acting as this person, or a clear reason why there is none."""
        if not identity.livevox_login:
            raise InboxUnavailable(NO_LOGIN)
        client = providers.livevox_agent(identity.livevox_login)
        if client is None:
            raise InboxUnavailable(NOT_CONNECTED)
        return client

    # ---------------------------------------------------------------------------------- reading
    async def threads(
        self, providers: Providers, identity: Identity, kind: str = "SMS", scope: Scope = "both"
    ) -> ThreadList:
        """The person's threads of one channel type, newest first, from their personal and/or group inbox;
        for a supervisor or an admin, those of every linked agent of the team too ("Supervisors and admins
        see every number and thread"). LiveVox lists a personal inbox only to its agent and a group inbox
        only to the agents of its service, so a colleague's inboxes are read through that colleague's own
        session: each group inbox once (the person's own first), each personal inbox named by its agent's
        login. A colleague's inboxes that cannot be read are left out (logged); the person's own failing
        fails the list."""
        client = self.agent(providers, identity)
        members = [(identity, client), *await self._colleagues(providers, identity)]
        # Every member's inbox list at once (each session caches its own), then which inboxes to read:
        # a personal inbox by its own agent, a group inbox by the first member whose list has it.
        listed = await asyncio.gather(
            *(self._read(member is identity, session.agent.channels()) for member, session in members),
            return_exceptions=True,
        )
        reads: list[tuple[Identity, LiveVoxClient, Channel, str | None]] = []
        groups: set[str] = set()
        for (member, session), channels in zip(members, listed, strict=True):
            if isinstance(channels, BaseException):
                self._left_out(member, channels, identity)
                continue
            for channel in channels:
                if (channel.channel or "").lower() != kind.lower() or channel.channel_id in (None, ""):
                    continue
                if (scope == "personal" and not channel.personal) or (scope == "group" and channel.personal):
                    continue
                if not channel.personal:
                    if str(channel.channel_id) in groups:
                        continue
                    groups.add(str(channel.channel_id))
                # A colleague's personal inbox says whose it is.
                mine = member is identity or not channel.personal
                label = None if mine else f"{_summary(channel).name} ({member.livevox_login})"
                reads.append((member, session, channel, label))
        found = await asyncio.gather(
            *(self._read(m is identity, self._cards(s, c, kind, o)) for m, s, c, o in reads),
            return_exceptions=True,
        )
        result = ThreadList(team=len(members) > 1)
        shown: set[str] = set()
        seen: list[tuple[Identity, list[tuple[str | None, str | None]]]] = []
        for (member, _, channel, label), cards in zip(reads, found, strict=True):
            if isinstance(cards, BaseException):
                self._left_out(member, cards, identity)
                continue
            summary = _summary(channel)
            result.inboxes.append(replace(summary, name=label) if label else summary)
            fresh = [c for c in cards if c.thread_id not in shown]
            shown.update(c.thread_id for c in fresh)
            room = self.max_threads - len(result.cards)
            if len(fresh) > room:
                result.truncated = True
            result.cards.extend(fresh[: max(room, 0)])
            seen.append((member, [(c.number, c.thread_id) for c in fresh]))
        result.cards.sort(key=lambda c: (c.last_at is not None, c.last_at), reverse=True)
        if self.contacts is not None:  # each thread is remembered for the agent whose inbox showed it
            await self.contacts.remember_many(seen)
        return result

    async def _read(self, own: bool, reading: Awaitable[T]) -> T:
        """A read for the person's own list as it is; a colleague's within `member_timeout`, so one slow
        session does not hold the whole list."""
        if own:
            return await reading
        async with asyncio.timeout(self.member_timeout):
            return await reading

    @staticmethod
    def _left_out(member: Identity, error: BaseException, identity: Identity) -> None:
        """The person's own inboxes failing fails the list; a colleague's are left out, logged."""
        if member is identity or not isinstance(error, Exception):
            raise error
        log.warning("team inbox unreadable", extra={"user": member.user_id, "error": type(error).__name__})

    async def _colleagues(
        self, providers: Providers, identity: Identity
    ) -> list[tuple[Identity, LiveVoxClient]]:
        """The other linked agents of the team and their LiveVox sessions: a supervisor's or an admin's
        thread list spans their inboxes (nobody's for an agent)."""
        if not identity.may(Role.SUPERVISOR) or self.contacts is None or not identity.team_id:
            return []
        login = (identity.livevox_login or "").upper()
        return [
            (member, session)
            for member in await self.contacts.linked_agents(identity.team_id)
            if member.livevox_login and member.livevox_login.upper() != login
            if (session := providers.livevox_agent(member.livevox_login)) is not None
        ]

    async def _cards(
        self, client: LiveVoxClient, channel: Channel, kind: str, label: str | None
    ) -> list[ThreadCard]:
        """One inbox's threads, one more than `max_threads` at most (so the list knows it was cut);
        `label`: the inbox's name on its cards instead of LiveVox's (a colleague's personal inbox)."""
        assert channel.channel_id is not None
        cards: list[ThreadCard] = []
        async for thread in client.threads.list_all(channel.channel_id, kind, personal=channel.personal):
            if thread.thread_id is None:
                continue
            if len(cards) > self.max_threads:
                break
            card = card_from_thread(thread, channel)
            cards.append(replace(card, inbox=label) if label else card)
        return cards

    async def history(
        self, providers: Providers, identity: Identity, thread_id: str, *, kind: str = "SMS", limit: int = 40
    ) -> tuple[list[HistoryEntry], bool]:
        """The newest `limit` messages of a thread (newest first) and whether older ones were left out."""
        client = self.agent(providers, identity)
        await self.access.readable(providers, identity, thread_id, kind=kind, what="thread.history")
        entries: list[HistoryEntry] = []
        async for message in client.messages.history_all(thread_id=thread_id):
            if len(entries) >= limit:
                return entries, True
            entries.append(
                HistoryEntry(message.occurred_at, message.inbound, message.message or "", message.status)
            )
        return entries, False

    async def transfer_candidates(
        self, providers: Providers, identity: Identity, thread_id: str, kind: str = "SMS"
    ) -> list[TransferCandidate]:
        client, _ = await self._acting(providers, identity, thread_id)
        await self.access.check(providers, identity, thread_id, kind=kind, what="thread.transfer_agents")
        agents = await client.threads.transfer_agents(thread_id)
        return [
            TransferCandidate(str(a.agent_id), a.name or a.login_id or str(a.agent_id), a.login_id, a.status)
            for a in agents
        ]

    async def overview(
        self, providers: Providers, identity: Identity, *, team: list[Identity] | None = None
    ) -> InboxOverview:
        """Counts and inboxes of the person; with `team`, each member's counts too (fetched concurrently)."""
        client = self.agent(providers, identity)
        if not identity.livevox_agent_id:
            raise InboxUnavailable(NO_AGENT_ID)
        raw, channels = await asyncio.gather(
            client.agent.channel_counts(identity.livevox_agent_id), client.agent.channels()
        )
        overview = InboxOverview(counts=_counts(raw), channels=[_summary(c) for c in channels])
        if team is not None:
            overview.team = await self.team_counts(providers, client, team)
        return overview

    async def team_counts(
        self, providers: Providers, fallback: LiveVoxClient, team: list[Identity]
    ) -> list[MemberCounts]:
        async def one(member: Identity) -> MemberCounts:
            agent_id = str(member.livevox_agent_id)
            # Each member's own session where there is one: LiveVox may limit counts to the agent asking.
            client = providers.livevox_agent(member.livevox_login) or fallback
            try:
                async with asyncio.timeout(self.member_timeout):
                    raw = await client.agent.channel_counts(agent_id)
            except Exception as error:  # one member failing leaves the others' counts shown
                log.warning("team counts failed", extra={"agent": agent_id, "error": type(error).__name__})
                return MemberCounts(member.user_id, agent_id, None, describe(LIVEVOX, error))
            return MemberCounts(member.user_id, agent_id, _counts(raw))

        members = [m for m in team if m.livevox_agent_id]
        return list(await asyncio.gather(*(one(m) for m in members)))

    # --------------------------------------------------------------------------------- changing
    async def _audited(
        self,
        providers: Providers,
        identity: Identity,
        action: str,
        thread: tuple[str, str],
        details: dict[str, object],
        call: Change,
        *,
        as_holder: bool = True,
    ) -> None:
        """Check that the person may act on the thread (`thread`: its id and channel type), then run the
        LiveVox call through the session to act as (`_acting`; the person's own for `as_holder=False`)
        with what LiveVox says about the thread (None for a supervisor) and audit it, ok or failed; a
        failure is raised on. A refusal is audited once, by the check, as `access.denied`; a check that
        could not be made (LiveVox away) is this action failing."""
        thread_id, kind = thread
        client, acting = (
            await self._acting(providers, identity, thread_id)
            if as_holder
            else (self.agent(providers, identity), {})
        )
        base, details = details, {**details, **acting}
        try:
            found = await self.access.check(providers, identity, thread_id, kind=kind, what=action)
            if found is not None:  # before the change: a transfer or resolve takes it out of their view
                await self._remember(identity, [card_from_thread(found)])
            try:
                await call(client, found)
            except LiveVoxError as refused:
                moved = await self._moved(providers, identity, thread, client, refused) if as_holder else None
                if moved is None:
                    raise
                client, acting = moved
                details = {**base, **acting}
                await call(client, found)
        except AccessDenied:
            raise
        except Exception as error:
            await self.audit.record(
                identity.team_id,
                identity.user_id,
                action,
                target_type=THREAD,
                target_id=thread_id,
                outcome="failed",
                details={**details, "error": type(error).__name__},
            )
            raise
        await self.audit.record(
            identity.team_id,
            identity.user_id,
            action,
            target_type=THREAD,
            target_id=thread_id,
            details=details,
        )

    async def _acting(
        self, providers: Providers, identity: Identity, thread_id: str
    ) -> tuple[LiveVoxClient, dict[str, object]]:
        """The LiveVox session to change a thread through, and what the audit row adds about it.

        LiveVox's thread calls act as the session's agent, and refuse a thread in another agent's personal
        inbox or in a service the agent is not in. Switchboard lets a supervisor or an admin act on every
        thread, and their list shows their colleagues' (read through those colleagues' sessions): such a
        thread is changed through the session of the colleague whose inbox it was last seen in (LiveVox
        still decides; the audit names both), else found (`_moved`). Everyone else acts as themselves."""
        own = self.agent(providers, identity)
        if not identity.may(Role.SUPERVISOR) or self.contacts is None:
            return own, {}
        holder = await self.contacts.holder(identity, thread_id)
        session = providers.livevox_agent(holder.livevox_login) if holder is not None else None
        if holder is None or session is None:
            return own, {}
        return session, {"as_login": holder.livevox_login}

    async def _moved(
        self,
        providers: Providers,
        identity: Identity,
        thread: tuple[str, str],
        tried: LiveVoxClient,
        refused: LiveVoxError,
    ) -> tuple[LiveVoxClient, dict[str, object]] | None:
        """A supervisor's change LiveVox refused through the session `_acting` picked: the thread moved
        since Switchboard saw it (taken or transferred in LiveVox itself), or Switchboard never saw it (an
        id typed into `/threads`). The session of the agent whose inboxes list it now, to try once more
        (a refusal changed nothing); None when that is the session tried, or no inbox the team can read
        lists it (then LiveVox's refusal stands)."""
        if refused.status not in (403, 404, 409) or not identity.may(Role.SUPERVISOR):
            return None
        thread_id, kind = thread
        held = await self.access.holding(providers, identity, thread_id, kind=kind)
        if held is None or held[1] is tried:
            return None
        member, client, found = held
        log.info("thread found in another inbox", extra={"user": member.user_id, "status": refused.status})
        await self._remember(member, [card_from_thread(found)])
        return client, ({} if member is identity else {"as_login": member.livevox_login})

    async def take(self, providers: Providers, identity: Identity, thread_id: str, kind: str = "SMS") -> None:
        """Group inbox → the person's personal inbox (always as themselves: it becomes theirs)."""
        if not identity.livevox_agent_id:
            self.agent(providers, identity)  # raises first when LiveVox is not connected
            raise InboxUnavailable(NO_AGENT_ID)
        agent_id = identity.livevox_agent_id
        await self._audited(
            providers,
            identity,
            "thread.taken",
            (thread_id, kind),
            {"agent_id": agent_id},
            lambda client, _: client.threads.take(thread_id, agent_id),
            as_holder=False,
        )

    async def release(
        self, providers: Providers, identity: Identity, thread_id: str, kind: str = "SMS"
    ) -> None:
        """Personal inbox → the service's group inbox."""
        await self._audited(
            providers,
            identity,
            "thread.released",
            (thread_id, kind),
            {},
            lambda client, _: client.threads.assign_to_group(thread_id),
        )

    async def transfer(
        self, providers: Providers, identity: Identity, thread_id: str, agent_id: str, kind: str = "SMS"
    ) -> None:
        await self._audited(
            providers,
            identity,
            "thread.transferred",
            (thread_id, kind),
            {"to_agent_id": agent_id},
            lambda client, _: client.threads.transfer(thread_id, agent_id, kind),
        )

    async def resolve(
        self,
        providers: Providers,
        identity: Identity,
        thread_id: str,
        account: str,
        term_code: int | None,
        kind: str = "SMS",
    ) -> None:
        await self._audited(
            providers,
            identity,
            "thread.resolved",
            (thread_id, kind),
            {"term_code_id": term_code},
            lambda client, _: client.threads.resolve(thread_id, account, term_code_id=term_code),
        )

    async def mark(
        self,
        providers: Providers,
        identity: Identity,
        thread_id: str,
        channel_id: str,
        *,
        read: bool,
        kind: str = "SMS",
    ) -> None:
        """`channel_id`: the service id for a group inbox, the agent id for a personal one. For an agent,
        the inbox LiveVox lists the thread in is used, not the one the click claimed."""

        def inbox(found: Thread | None) -> str:
            return (
                str(found.channel_id)
                if found is not None and found.channel_id not in (None, "")
                else channel_id
            )

        async def change(client: LiveVoxClient, found: Thread | None) -> None:
            if read:
                await client.messages.mark_read(thread_id, inbox(found))
            else:
                await client.messages.mark_unread(thread_id, inbox(found))

        action = "thread.marked_read" if read else "thread.marked_unread"
        await self._audited(providers, identity, action, (thread_id, kind), {}, change)


# ------------------------------------------------------------------------------------ from the database
async def team_members(sessions: async_sessionmaker[AsyncSession], team_id: str) -> list[Identity]:
    """Every linked user of the workspace with a LiveVox agent id."""
    async with sessions() as session:
        rows = await UserMappingRepository(session, team_id).list()
    return [Identity.from_mapping(team_id, row.slack_user_id, row) for row in rows if row.livevox_agent_id]


async def recent_activity(
    sessions: async_sessionmaker[AsyncSession], team_id: str, user_id: str, *, limit: int = 8
) -> Activity:
    """The person's latest audit events and sent SMS."""
    async with sessions() as session:
        events = await AuditRepository(session, team_id).recent(limit=limit, actor=user_id)
        sms = await SmsMessageRepository(session, team_id).recent(limit=limit, slack_user_id=user_id)
    return Activity(events, sms)
