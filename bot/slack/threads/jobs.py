"""Follow-ups of /threads, the thread buttons and modals, /inbox and the App Home.

Each resolves who asked (fresh from the database), acts as their LiveVox agent through `InboxService`,
and answers through the interaction's response_url (the card list is re-rendered and replaces the
original message) or the Web API (`views.update`, `views.publish`). Failures are told in words
(`describe`); details go to the log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar, cast

from pydantic import BaseModel

from bot.jobs.contract import Effect, Envelope, Job
from bot.jobs.retry import is_transient
from bot.services.access import AccessDenied
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.inbox import (
    LIVEVOX,
    InboxService,
    InboxUnavailable,
    Scope,
)
from bot.services.providers import Providers
from bot.slack.alerts.jobs import refresh as alert_refresh
from bot.slack.outcome import failure, for_error
from bot.slack.reply import respond
from bot.slack.text import escape
from bot.slack.threads.blocks import (
    ListState,
    ModalContext,
    ThreadRef,
    history_message,
    threads_message,
    transfer_modal,
    transfer_problem,
)

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner

log = logging.getLogger(__name__)

# What each thread button does, in words for the person ("Could not take thread …").
VERBS = {
    "take": "take",
    "release": "release",
    "read": "mark read",
    "unread": "mark unread",
    "transfer": "transfer",
    "resolve": "resolve",
}


class ThreadsJob(Job):
    """A page of the person's thread cards."""

    kind = "threads"
    what: ClassVar[str] = "your thread list"
    channel_kind: str = "SMS"
    scope: str = "both"
    offset: int = 0


class _ThreadChange(Job):
    """A change to one thread (take, release, read/unread, transfer, resolve); the card updates in place.

    A change is never repeated once it may have reached LiveVox: a dead worker's job ends "outcome
    unknown" and the person is told to look at the list.
    """

    kind = "sb:thread_change"  # a base, never deferred itself
    effect: ClassVar[Effect] = Effect.CHANGE
    verb: ClassVar[str]
    ref: ThreadRef  # the card's thread (from its verified button), re-checked against LiveVox when acting

    @property
    def thread(self) -> ThreadRef:
        return self.ref

    def describe(self) -> str:
        return f"the request to {self.verb} {_thread_label(self.thread)}"

    def when_unknown(self) -> str:
        return "`/threads` shows where the thread is now."


class TakeJob(_ThreadChange):
    kind = "thread_take"
    verb: ClassVar[str] = "take"


class ReleaseJob(_ThreadChange):
    kind = "thread_release"
    verb: ClassVar[str] = "release"


class MarkJob(_ThreadChange):
    kind = "thread_mark"
    verb: ClassVar[str] = "mark"
    read: bool


class TransferJob(_ThreadChange):
    kind = "thread_transfer"
    verb: ClassVar[str] = "transfer"
    agent_id: str
    agent_name: str


class ResolveJob(_ThreadChange):
    kind = "thread_resolve"
    verb: ClassVar[str] = "resolve"
    account: str
    term_code: int | None = None
    term_code_name: str | None = None  # the configured name of that code, for the notice


class HistoryJob(Job):
    kind = "thread_history"
    what: ClassVar[str] = "the thread's history"
    ref: ThreadRef


class TransferAgentsJob(Job):
    """Fill the transfer modal (opened at once on the click) with the agents who can take the thread."""

    kind = "transfer_agents"
    what: ClassVar[str] = "the transfer form"
    view_id: str
    meta: str  # ModalContext.to_metadata(), kept server-side (never read back from Slack)


class KeptModal(BaseModel):
    """A transfer/resolve modal's context, kept server-side (`bot.slack.payloads`): it holds the card's
    response_url, which must never be read back from the client's private_metadata."""

    raw: str  # ModalContext.to_metadata()


def install(runner: JobRunner[Container]) -> None:
    runner.register(ThreadsJob, threads)
    for model in (TakeJob, ReleaseJob, MarkJob, TransferJob, ResolveJob):
        runner.register(model, thread_change)
    runner.register(HistoryJob, thread_history)
    runner.register(TransferAgentsJob, transfer_agents)


async def who(envelope: Envelope, container: Container) -> tuple[Identity, Providers, InboxService]:
    identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    return identity, providers, InboxService(container.audit, contacts=container.contacts)


def problem(error: Exception, what: str) -> str:
    """What went wrong, as mrkdwn: escaped, since it may quote LiveVox's own message and holds usage
    placeholders (`agent=<LiveVox agent id>`) that Slack would otherwise swallow as links."""
    if isinstance(error, InboxUnavailable | AccessDenied):
        return escape(str(error))
    log.warning("%s failed", what, extra={"error": type(error).__name__})
    return escape(describe(LIVEVOX, error))


def _scope(state: ListState) -> Scope:
    return cast(Scope, state.scope)


async def threads(job: ThreadsJob, container: Container) -> None:
    url = job.envelope.response_url or ""
    identity, providers, service = await who(job.envelope, container)
    state = ListState(job.channel_kind, job.scope, job.offset)
    try:
        result = await service.threads(providers, identity, state.kind, _scope(state))
    except Exception as error:
        if is_transient(error):
            raise
        text = problem(error, "threads")
        await respond(url, for_error(error, text), replace_original=False)
        return
    await respond(url, threads_message(result, state), replace_original=True)


def _thread_label(ref: ThreadRef) -> str:
    return f"thread `{escape(ref.thread_id)}`"


async def _apply(job: _ThreadChange, service: InboxService, providers: Providers, identity: Identity) -> str:
    """Do the change; returns the notice shown on the re-rendered card."""
    ref = job.thread
    label = _thread_label(ref)
    if isinstance(job, TakeJob):
        await service.take(providers, identity, ref.thread_id, ref.kind)
        return f"✅ You took {label} into your personal inbox."
    if isinstance(job, ReleaseJob):
        await service.release(providers, identity, ref.thread_id, ref.kind)
        return f"↩️ You released {label} to the group inbox."
    if isinstance(job, MarkJob):
        await service.mark(providers, identity, ref.thread_id, ref.channel_id, read=job.read, kind=ref.kind)
        return f"✓ You marked {label} {'read' if job.read else 'unread'}."
    if isinstance(job, TransferJob):
        await service.transfer(providers, identity, ref.thread_id, job.agent_id, ref.kind)
        return f"➡️ You transferred {label} to *{escape(job.agent_name or job.agent_id)}*."
    if isinstance(job, ResolveJob):
        await service.resolve(providers, identity, ref.thread_id, job.account, job.term_code, ref.kind)
        code = ""
        if job.term_code is not None:
            name = f"*{escape(job.term_code_name)}* " if job.term_code_name else ""
            code = f" with term code {name}`{job.term_code}`"
        return f"✅ You resolved {label}{code}."
    raise TypeError(f"{type(job).__name__} is not a thread change")


async def thread_change(job: _ThreadChange, container: Container) -> None:
    """Take, release, mark read/unread, transfer or resolve one thread, then re-render its list."""
    url = job.envelope.response_url or ""
    identity, providers, service = await who(job.envelope, container)
    ref = job.thread
    verb = VERBS[job.verb] if not isinstance(job, MarkJob) else ("mark read" if job.read else "mark unread")
    try:
        notice = await _apply(job, service, providers, identity)
    except Exception as error:
        text = f"Could not {verb} {_thread_label(ref)}: {problem(error, 'thread ' + job.verb)}"
        await respond(url, for_error(error, text), replace_original=False)
        return
    if ref.alert:  # a channel's alert card: redrawn for everyone, saying who did it
        await _alert_card_changed(job, container, identity)
        return
    # The card updates in place: the whole list is read again (the thread may have moved inbox, changed
    # order or gone) and replaces the message the button was on.
    try:
        result = await service.threads(providers, identity, ref.state.kind, _scope(ref.state))
    except Exception as error:
        text = f"{notice} (The list could not be refreshed: {problem(error, 'threads refresh')})"
        await respond(url, failure(text), replace_original=False)
        return
    await respond(url, threads_message(result, ref.state, notice=notice), replace_original=True)


async def _alert_card_changed(job: _ThreadChange, container: Container, identity: Identity) -> None:
    who = f"<@{identity.user_id}>"
    ref = job.thread
    if isinstance(job, TakeJob):
        await alert_refresh(
            container,
            identity.team_id,
            ref.alert,
            state="taken",
            note=f"🙋 Taken by {who}.",
            holder_user=identity.user_id,
            holder=identity.livevox_login,
        )
    elif isinstance(job, ReleaseJob):
        await alert_refresh(
            container,
            identity.team_id,
            ref.alert,
            state="waiting",
            note=f"↩️ Released to the group inbox by {who}.",
        )
    elif isinstance(job, TransferJob):
        linked = [
            m
            for m in await container.contacts.linked_agents(identity.team_id)
            if m.livevox_agent_id == job.agent_id
        ]
        to = f"<@{linked[0].user_id}>" if linked else f"*{escape(job.agent_name or job.agent_id)}*"
        await alert_refresh(
            container,
            identity.team_id,
            ref.alert,
            state="taken",
            note=f"➡️ Transferred to {to} by {who}.",
            holder_user=linked[0].user_id if linked else None,
            holder=linked[0].livevox_login if linked else None,
        )
    elif isinstance(job, ResolveJob):
        code = ""
        if job.term_code is not None:
            name = f"*{escape(job.term_code_name)}* " if job.term_code_name else ""
            code = f" with term code {name}`{job.term_code}`"
        await alert_refresh(
            container, identity.team_id, ref.alert, state="resolved", note=f"✅ Resolved by {who}{code}."
        )
    elif isinstance(job, MarkJob):
        await alert_refresh(
            container,
            identity.team_id,
            ref.alert,
            read=job.read,
            note=f"Marked {'read' if job.read else 'unread'} by {who}.",
        )


async def thread_history(job: HistoryJob, container: Container) -> None:
    url = job.envelope.response_url or ""
    identity, providers, service = await who(job.envelope, container)
    ref = job.ref
    try:
        entries, more = await service.history(providers, identity, ref.thread_id, kind=ref.kind)
    except Exception as error:
        if is_transient(error):
            raise
        text = f"Could not read the history of {_thread_label(ref)}: {problem(error, 'history')}"
        await respond(url, for_error(error, text), replace_original=False)
        return
    # A new ephemeral message: the card list stays where it is.
    await respond(url, history_message(ref, entries, more), replace_original=False)


async def transfer_agents(job: TransferAgentsJob, container: Container) -> None:
    """Fill the transfer modal (opened at once on the click) with the agents who can take the thread."""
    identity, providers, service = await who(job.envelope, container)
    meta = ModalContext.from_metadata(job.meta)
    try:
        agents = await service.transfer_candidates(providers, identity, meta.ref.thread_id, meta.ref.kind)
        view = transfer_modal(meta, agents)
    except Exception as error:
        view = transfer_problem(meta, f"⚠️ {problem(error, 'transfer agents')}")
    try:
        slack = await container.slack_for(job.envelope.team_id)
        await slack.views_update(view_id=job.view_id, view=view)
    except Exception as error:  # the person closed the modal meanwhile
        log.info("transfer modal not updated", extra={"error": type(error).__name__})
