"""Sending one SMS through the provider the workspace has connected, with an outbox row and an audit event.

Which provider, in order:
- LiveVox as the caller's agent session (`messages.send`), for a user with a LiveVox agent login — the
  SMS lands in the agent's thread with the number (or the thread being replied to);
- LiveVox transactional (`sms.send` from the connection's service), for a user without an agent login
  when the connection names a service;
- Routee (`sms.send`) when only Routee is connected.

The outbox row (`sms_messages`) is written `pending` *before* the provider is called and keyed by an
idempotency key, so a repeated request finds the row and never sends twice; it ends `accepted`, `failed`
or `unknown` (the request may have reached the provider: never re-sent automatically). Only the
provider's delivery record moves an accepted row further (`bot.services.sms_delivery`). Nothing here
knows about Slack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.base import utcnow
from bot.db.models import Provider, SmsMessage, SmsStatus
from bot.db.repositories import AuditRepository, ChannelMappingRepository
from bot.db.repositories.sms import SmsMessageRepository, stale_pending
from bot.db.session import transaction
from bot.errors import InputError
from bot.jobs.retry import is_database_outage
from bot.phones import mask
from bot.providers import errors
from bot.providers.livevox.models import SmsCode, Template, Thread
from bot.services.access import ThreadAccess
from bot.services.audit import AuditService
from bot.services.compliance import UNKNOWN, ComplianceState, from_threads
from bot.services.contacts import ContactBook
from bot.services.failures import describe
from bot.services.history import HistoryService, same_number
from bot.services.identity import Identity
from bot.services.providers import Providers
from bot.services.segments import count, too_long
from bot.services.send_guard import GuardVerdict, Override, SendGuard, SendRefused

log = logging.getLogger(__name__)


class Route(StrEnum):
    LIVEVOX_AGENT = "livevox_agent"
    LIVEVOX = "livevox"
    ROUTEE = "routee"

    @property
    def label(self) -> str:
        return {"livevox_agent": "LiveVox (as you)", "livevox": "LiveVox", "routee": "Routee"}[self.value]

    @property
    def provider_name(self) -> str:
        """The name used in failure sentences ("LiveVox did not answer…")."""
        return "Routee" if self is Route.ROUTEE else "LiveVox"

    @property
    def provider(self) -> Provider:
        return Provider.ROUTEE if self is Route.ROUTEE else Provider.LIVEVOX


NO_PROVIDER = (
    "No SMS provider is connected for you: link your LiveVox agent login (`/switchboard whoami`), or an "
    "admin can connect LiveVox (with a service id) or Routee with `/switchboard connect`."
)


def choose_route(providers: Providers, identity: Identity) -> Route:
    """The provider this person sends through; InputError (in words) when there is none."""
    if providers.livevox is not None and identity.livevox_login:
        return Route.LIVEVOX_AGENT
    if providers.livevox is not None and providers.livevox_service_id is not None:
        return Route.LIVEVOX
    if providers.routee is not None:
        return Route.ROUTEE
    raise InputError(NO_PROVIDER)


@dataclass(frozen=True)
class SendRequest:
    """One SMS to send. Exactly one of `text` and `template_id`."""

    number: str  # E.164
    idempotency_key: str
    text: str | None = None
    template_id: str | None = None
    sender: str | None = None  # the SMS code / sender id; None: the channel's default, then the first code
    channel_id: str | None = None
    thread_id: str | None = None  # a LiveVox thread being replied to
    account: str | None = None
    override: Override | None = None  # an admin's confirmed override of DNC / quiet hours, with a reason


@dataclass(frozen=True)
class SendResult:
    status: SmsStatus
    route: Route
    number: str
    text: str  # what was (or would have been) sent, for the person's card
    provider_message_id: str | None = None
    reason: str | None = None  # failed/unknown: a sentence for the person; else the delivery record's
    repeated: bool = False  # the request had already been made: this call sent nothing
    recorded: bool = True  # False: the provider answered, but the outbox row could not be ended (yet)


@dataclass
class Compliance:
    """What LiveVox says about contacting a number (`state`, the one source every view shows) and what
    the sender should be warned of."""

    checked: bool = False
    state: ComplianceState = UNKNOWN
    warnings: list[str] = field(default_factory=list)
    threads: list[Thread] | None = None  # the number's LiveVox threads as read for it (None: not read)

    @property
    def do_not_contact(self) -> bool:
        return self.state.do_not_contact or self.state.do_not_contact_today

    @property
    def opted_out(self) -> bool:
        return self.state.opted_out


def check_text(text: str | None, template_id: str | None) -> None:
    """The rules every send path shares, in words."""
    if text and template_id:
        raise InputError("Give a template or a message, not both.")
    if not template_id and not (text or "").strip():
        raise InputError("The message is empty: write something to send (or pick a template).")
    if text and (reason := too_long(text)):
        raise InputError(f"{reason} Please shorten it.")


def _same_code(a: str, b: str) -> bool:
    """Sender codes as LiveVox writes them: digits, with or without the country code."""
    da, db = "".join(c for c in a if c.isdigit()), "".join(c for c in b if c.isdigit())
    if da and db and len(da) >= 10 and len(db) >= 10:
        return da[-10:] == db[-10:]
    return a.strip().lower() == b.strip().lower()


PERSIST_ATTEMPTS = 4
PERSIST_WAIT_SECONDS = 0.25  # before the second attempt; doubled before each next one

UNRECORDED = (
    "Switchboard could not record the provider's answer just now (its database blinked), so do not send "
    "it again."
)


def _unrecorded(reason: str | None) -> str:
    return f"{reason} {UNRECORDED}" if reason else UNRECORDED


async def _persist(write: Callable[[], Awaitable[None]], what: str) -> bool:
    """Run a bookkeeping write made after the provider was called: again after a database blink, a few
    times; never raises (the send is done whatever becomes of its record). Returns whether it was written."""
    wait = PERSIST_WAIT_SECONDS
    for attempt in range(1, PERSIST_ATTEMPTS + 1):
        try:
            await write()
            return True
        except Exception as error:
            if attempt < PERSIST_ATTEMPTS and is_database_outage(error):
                log.warning("%s not written (%s); again in %.2f s", what, type(error).__name__, wait)
                await asyncio.sleep(wait)
                wait *= 2
                continue
            log.error("%s could not be written after the provider was called", what, exc_info=error)
            return False
    return False


STALE_PENDING = timedelta(minutes=15)
"""An outbox row PENDING this long lost its ending (the provider was called, its answer could not be
written, or the worker died): the housekeeping ends it UNKNOWN (`settle_stale`), never re-sent."""

STALE_REASON = (
    "Switchboard could not record the provider's answer, so it may or may not have been sent "
    "(it is never sent again)."
)


async def settle_stale(session: AsyncSession, *, older_than: timedelta = STALE_PENDING) -> int:
    """End every workspace's outbox rows PENDING for `older_than` as UNKNOWN, each audited
    (`sms.unknown`, by Switchboard); returns how many."""
    settled = 0
    for row in await stale_pending(session, before=utcnow() - older_than):
        if not await SmsMessageRepository(session, row.team_id).unknown_if_pending(row.id, STALE_REASON):
            continue
        settled += 1
        await AuditRepository(session, row.team_id).record(
            "switchboard",
            "sms.unknown",
            target_type="phone",
            target_id=mask(row.to_number),
            outcome="unknown",
            details={"id": row.id, "sent_by": row.slack_user_id, "stage": "stale", "error": STALE_REASON},
        )
    if settled:
        log.warning("%d outbox rows left pending were settled as unknown", settled)
    return settled


class SmsService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], audit: AuditService, *, clock: Clock | None = None
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._contacts = ContactBook(sessions)
        self._history = HistoryService(contacts=self._contacts)
        self._threads = ThreadAccess(audit, contacts=self._contacts)
        self.guard = SendGuard(sessions, audit, self._history, clock)

    # --------------------------------------------------------------------------- reading
    async def channel_sender(self, team_id: str, channel_id: str | None) -> str | None:
        """The channel mapping's default sender code (None when the channel is not mapped)."""
        if not channel_id:
            return None
        async with self._sessions() as session:
            mapping = await ChannelMappingRepository(session, team_id).get(channel_id)
        return mapping.sms_sender_code if mapping is not None else None

    async def codes(self, providers: Providers, identity: Identity) -> list[SmsCode]:
        """The sender codes the person may use (their agent's services, or the connection's)."""
        client = providers.livevox_agent(identity.livevox_login) or providers.livevox
        if client is None:
            return []
        return await client.sms.codes()

    async def templates(self, providers: Providers) -> list[Template]:
        if providers.livevox is None:
            return []
        return await providers.livevox.sms.templates()

    async def template(self, providers: Providers, template_id: str) -> Template:
        for template in await self.templates(providers):
            if str(template.id) == str(template_id):
                return template
        raise InputError(f"LiveVox has no template {template_id} (any more).")

    async def template_sender_problem(
        self, providers: Providers, identity: Identity, template: Template
    ) -> str | None:
        """A sentence when the template sends from a sender code this person does not have (LiveVox
        would refuse it, or send it from a number the customer does not know); None when it is fine or
        cannot be told (no code on the template, no code list)."""
        code = (template.sms_code or "").strip()
        if not code:
            return None
        codes = [c.code for c in await self.codes(providers, identity)]
        if not codes or any(_same_code(code, mine) for mine in codes):
            return None
        name = f"“{template.description}”" if template.description else f"{template.id}"
        return (
            f"The template {name} sends from sender code {code}, which you do not have, so it cannot be "
            "sent: pick another template or write your own message."
        )

    async def compliance(self, providers: Providers, identity: Identity, number: str) -> Compliance:
        """DNC / opt-out flags LiveVox keeps on the contact (`number_compliance`: the threads a timeline of
        the number reads, so the preview and /sms logs say the same).

        Only agent sessions can read threads: a supervisor or admin without a LiveVox login is answered
        through the team's agents' inboxes; anyone else's result says it was not checked. A failure to
        check is not a reason to block the send: the provider enforces its own blocks.
        """
        result = Compliance()
        own = providers.livevox_agent(identity.livevox_login) is not None
        if not own and await self._history.reader(providers, identity) is None:
            return result
        try:
            threads = await self._history.number_threads(providers, identity, number)
            result.threads = threads
            result.state = await self._history.settled_flags(
                identity.team_id, number, from_threads(threads, number)
            )
        except errors.ProviderError as error:
            log.warning("compliance check failed", extra={"error": type(error).__name__})
            result.warnings.append("LiveVox could not be asked about Do-Not-Contact / opt-out just now.")
            return result
        # Through colleagues' inboxes (a supervisor without a login) a number in none of them is unknown.
        result.checked = own or result.state.known
        return result

    async def check(
        self, providers: Providers, identity: Identity, number: str, *, at: datetime | None = None
    ) -> tuple[Compliance, GuardVerdict]:
        """What the preview card, the send form and the send itself check: LiveVox's flags, then the
        guard (the customer's replies, the team's opt-out list, quiet hours: now, or at `at`)."""
        compliance = await self.compliance(providers, identity, number)
        verdict = await self.guard.check(
            providers, identity, number, flags=compliance.state, threads=compliance.threads, at=at
        )
        return compliance, verdict

    async def resolve_sender(
        self,
        providers: Providers,
        identity: Identity,
        route: Route,
        sender: str | None,
        channel_id: str | None,
    ) -> str | None:
        """The sender to use: the one given, else the channel's default, else the first LiveVox code."""
        if sender:
            return sender
        default = await self.channel_sender(identity.team_id, channel_id)
        if default:
            return default
        if route is Route.ROUTEE:
            return None
        codes = await self.codes(providers, identity)
        return codes[0].code if codes else None

    async def existing(self, team_id: str, idempotency_key: str) -> SmsMessage | None:
        async with self._sessions() as session:
            return await SmsMessageRepository(session, team_id).by_key(idempotency_key)

    async def recent(
        self, team_id: str, *, limit: int = 20, user_id: str | None = None
    ) -> Sequence[SmsMessage]:
        async with self._sessions() as session:
            return await SmsMessageRepository(session, team_id).recent(limit=limit, slack_user_id=user_id)

    # --------------------------------------------------------------------------- sending
    async def send(self, providers: Providers, identity: Identity, request: SendRequest) -> SendResult:
        """Send once. A repeated `idempotency_key` returns the first attempt's outcome and sends nothing."""
        route = choose_route(providers, identity)
        check_text(request.text, request.template_id)
        if request.thread_id:
            request = await self._reply_checked(providers, identity, request)
        text = request.text or ""
        if request.template_id:
            try:
                template = await self.template(providers, request.template_id)
                problem = await self.template_sender_problem(providers, identity, template)
            except errors.ProviderError as error:
                return await self._early_failure(identity, request, route, describe("LiveVox", error))
            if problem:  # checked again here, whatever the form showed: refused before anything is sent
                raise InputError(problem)
            text = template.message or ""
        try:
            sender = await self.resolve_sender(providers, identity, route, request.sender, request.channel_id)
        except errors.ProviderError as error:
            return await self._early_failure(identity, request, route, describe(route.provider_name, error))
        if not sender:
            raise InputError("There is no sender code to send from: pick one, or map the channel to one.")
        earlier = await self.existing(identity.team_id, request.idempotency_key)
        if earlier is None:  # a repeat reports the first attempt below; a new one is checked now
            await self._guarded(providers, identity, request)

        async with transaction(self._sessions) as session:
            row, created = await SmsMessageRepository(session, identity.team_id).create_pending(
                idempotency_key=request.idempotency_key,
                slack_user_id=identity.user_id,
                to_number=request.number,
                provider=route.provider,
                from_number=sender,
                body=text,
                template_id=request.template_id,
                channel_id=request.channel_id,
                thread_id=request.thread_id,
            )
        if not created:
            # Someone (a double click, a retried job) already made this request: report, never resend.
            return SendResult(
                row.status,
                route,
                request.number,
                row.body or text,
                provider_message_id=row.provider_message_id,
                reason=row.error
                or row.status_reason
                or ("The first request is still being sent." if row.status is SmsStatus.PENDING else None),
                repeated=True,
            )

        status, message_id, reason = await self._call(providers, identity, route, request, sender, text)
        # From here on the provider may have the message: nothing may raise (a person told "try again"
        # sends it twice). The row's ending is retried through a database blink; if it still cannot be
        # written, the row stays PENDING until the housekeeping settles it UNKNOWN (`settle_stale`).
        recorded = await self._after_call(identity, request, route, text, status, message_id, reason)
        log.info(
            "sms send finished",
            extra={"number": mask(request.number), "status": status.value, "route": route.value},
        )
        return SendResult(
            status,
            route,
            request.number,
            text,
            provider_message_id=message_id,
            reason=reason if recorded else _unrecorded(reason),
            recorded=recorded,
        )

    async def _after_call(
        self,
        identity: Identity,
        request: SendRequest,
        route: Route,
        text: str,
        status: SmsStatus,
        message_id: str | None,
        reason: str | None,
    ) -> bool:
        """The outbox row ended and the audit written, each retried through a database blink; never
        raises. Returns whether the outbox row says what the provider answered."""

        async def finish() -> None:
            async with transaction(self._sessions) as session:
                repo = SmsMessageRepository(session, identity.team_id)
                fresh = await repo.by_key(request.idempotency_key)
                assert fresh is not None
                await repo.finish(fresh, status, provider_message_id=message_id, error=reason)

        info = count(text)

        async def audit() -> None:
            await self._audit.record(
                identity.team_id,
                identity.user_id,
                f"sms.{status.value}",
                target_type="phone",
                target_id=mask(request.number),
                outcome="ok" if status is SmsStatus.ACCEPTED else status.value,
                details={
                    "provider": route.value,
                    "provider_message_id": message_id,
                    "template_id": request.template_id,
                    "segments": info.segments,
                    "encoding": info.encoding,
                    "thread_id": request.thread_id,
                    "error": reason,
                },
            )

        recorded = await _persist(finish, "the outbox row")
        await _persist(audit, "the send's audit event")
        return recorded

    async def check_later(
        self, providers: Providers, identity: Identity, request: SendRequest, *, at: datetime
    ) -> SendRequest:
        """What sending checks, made when a send is scheduled for `at` (checked again when it goes): a
        provider, the text, a reply's thread and number, the template's sender code, and the guard at that
        time (`SendRefused`, audited, stage "schedule"). InputError / AccessDenied in words otherwise.
        Returns the request as it will be kept (a reply's account is LiveVox's)."""
        choose_route(providers, identity)
        check_text(request.text, request.template_id)
        if request.thread_id:
            request = await self._reply_checked(providers, identity, request)
        if request.template_id:
            template = await self.template(providers, request.template_id)
            if problem := await self.template_sender_problem(providers, identity, template):
                raise InputError(problem)
        _, verdict = await self.check(providers, identity, request.number, at=at)
        if verdict.blocking(None):
            await self.guard.refused(identity, verdict, stage="schedule")
            raise SendRefused(verdict, None)
        return request

    async def _guarded(self, providers: Providers, identity: Identity, request: SendRequest) -> None:
        """The guard, at the moment of sending: `SendRefused` (audited) when the number may not be texted
        now; an admin's override lifts only what it names and was confirmed (audited with its reason)."""
        override = request.override
        if override is not None and not self.guard.may_override(identity):
            override = None  # the role is checked on the server's data, whatever the request says
        _, verdict = await self.check(providers, identity, request.number)
        if verdict.blocking(override):
            await self.guard.refused(identity, verdict, stage="send", override=override)
            raise SendRefused(verdict, override)
        if override is not None and verdict.refusals:
            await self.guard.overridden(identity, verdict, override)

    async def _reply_checked(
        self, providers: Providers, identity: Identity, request: SendRequest
    ) -> SendRequest:
        """A reply into a LiveVox thread, checked on LiveVox's data before anything is written or sent: the
        thread must be one the person may act on (`AccessDenied`, audited, otherwise) and, for everyone
        (a supervisor's is read too), be with the number being texted; its account is LiveVox's, not the
        one the modal was opened with."""
        assert request.thread_id is not None
        thread = await self._threads.check(providers, identity, request.thread_id, what="sms reply")
        if thread is None:  # a supervisor may reply in any thread: it is read all the same, for its number
            thread = await self._threads.find(providers, identity, request.thread_id)
        if thread is None:
            raise InputError(
                "Switchboard could not find that thread in the team's LiveVox inboxes (it may have been "
                "closed), so nothing was sent: send a new message with `/sms send`."
            )
        if not (same_number(thread.to, request.number) or same_number(thread.from_, request.number)):
            raise InputError(
                "That thread is with another number: reply to the number of the thread, or send a new "
                "message with `/sms send`."
            )
        await self._contacts.remember(identity, [(request.number, request.thread_id)])
        return replace(request, account=thread.account or request.account)

    async def _call(
        self,
        providers: Providers,
        identity: Identity,
        route: Route,
        request: SendRequest,
        sender: str,
        text: str,
    ) -> tuple[SmsStatus, str | None, str | None]:
        """Call the provider once: (status, provider message id, reason for a person)."""
        name = route.provider_name
        try:
            if route is Route.LIVEVOX_AGENT:
                agent = providers.livevox_agent(identity.livevox_login)
                assert agent is not None
                sent = await agent.messages.send(
                    sender,
                    request.number.lstrip("+"),
                    text,
                    template_id=int(request.template_id) if request.template_id else None,
                    account=request.account,
                    thread_id=request.thread_id,
                )
                return SmsStatus.ACCEPTED, str(sent.id), None
            if route is Route.LIVEVOX:
                assert providers.livevox is not None
                transactional = await providers.livevox.sms.send(
                    sender,
                    request.number.lstrip("+"),
                    message=None if request.template_id else text,
                    template_id=request.template_id,
                    account=request.account,
                    service_id=providers.livevox_service_id,
                )
                return SmsStatus.ACCEPTED, str(transactional.transaction_id), None
            assert providers.routee is not None
            routed = await providers.routee.sms.send(body=text, to=request.number, from_=sender)
            return SmsStatus.ACCEPTED, str(routed.tracking_id), None
        except errors.OutcomeUnknown as error:
            log.warning("sms outcome unknown", extra={"route": route.value})
            return SmsStatus.UNKNOWN, None, describe(name, error)
        except errors.ProviderError as error:
            log.warning("sms send failed", extra={"route": route.value, "error": type(error).__name__})
            return SmsStatus.FAILED, None, describe(name, error)
        except Exception:  # the request may have reached the provider: unknown, never "failed, try again"
            log.exception("sms send broke after calling the provider", extra={"route": route.value})
            return (
                SmsStatus.UNKNOWN,
                None,
                f"Switchboard could not read {name}'s answer, so it may or may not have been sent.",
            )

    async def _early_failure(
        self, identity: Identity, request: SendRequest, route: Route, reason: str
    ) -> SendResult:
        """The provider failed before anything was sent (reading the template or codes): nothing to row."""
        await self._audit.record(
            identity.team_id,
            identity.user_id,
            "sms.failed",
            target_type="phone",
            target_id=mask(request.number),
            outcome="failed",
            details={"provider": route.value, "stage": "prepare", "error": reason},
        )
        return SendResult(SmsStatus.FAILED, route, request.number, request.text or "", reason=reason)
