"""Follow-ups of /threads, the thread buttons and modals, /inbox and the App Home.

Each resolves who asked (fresh from the database), acts as their LiveVox agent through `InboxService`,
and answers through the interaction's response_url (the card list is re-rendered and replaces the
original message) or the Web API (`views.update`, `views.publish`). Failures are told in words
(`describe`); details go to the log.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from bot.db.models import Role
from bot.jobs.tasks import followup
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.inbox import (
    LIVEVOX,
    InboxService,
    InboxUnavailable,
    Scope,
    recent_activity,
    team_members,
)
from bot.services.providers import Providers
from bot.slack.blocks.home import home_view, my_threads_modal
from bot.slack.blocks.threads import (
    ListState,
    ModalContext,
    ThreadRef,
    history_message,
    inbox_message,
    threads_message,
    transfer_modal,
    transfer_problem,
)
from bot.slack.reply import respond
from bot.slack.text import escape

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


async def _who(container: Any, job: dict[str, Any]) -> tuple[Identity, Providers, InboxService]:
    identity = await container.identities.resolve(job["team_id"], job["user_id"])
    providers = await container.providers.for_team(job["team_id"])
    return identity, providers, InboxService(container.audit)


def _problem(error: Exception, what: str) -> str:
    if isinstance(error, InboxUnavailable):
        return str(error)
    log.warning("%s failed", what, extra={"error": type(error).__name__})
    return describe(LIVEVOX, error)


def _scope(state: ListState) -> Scope:
    return cast(Scope, state.scope)


@followup("threads")
async def threads(container: Any, job: dict[str, Any]) -> None:
    identity, providers, service = await _who(container, job)
    state = ListState(str(job.get("kind", "SMS")), str(job.get("scope", "both")), int(job.get("offset", 0)))
    try:
        result = await service.threads(providers, identity, state.kind, _scope(state))
    except Exception as error:
        text = _problem(error, "threads")
        await respond(job["response_url"], {"text": text}, replace_original=False)
        return
    await respond(job["response_url"], threads_message(result, state), replace_original=True)


def _thread_label(ref: ThreadRef) -> str:
    return f"thread `{escape(ref.thread_id)}`"


@followup("thread_action")
async def thread_action(container: Any, job: dict[str, Any]) -> None:
    """Take, release, mark read/unread, transfer or resolve one thread, then re-render its list."""
    identity, providers, service = await _who(container, job)
    ref = ThreadRef.from_dict(job["ref"])
    verb = str(job["action"])
    label = _thread_label(ref)
    try:
        if verb == "take":
            await service.take(providers, identity, ref.thread_id)
            notice = f"✅ You took {label} into your personal inbox."
        elif verb == "release":
            await service.release(providers, identity, ref.thread_id)
            notice = f"↩️ You released {label} to the group inbox."
        elif verb in ("read", "unread"):
            await service.mark(providers, identity, ref.thread_id, ref.channel_id, read=verb == "read")
            notice = f"✓ You marked {label} {verb}."
        elif verb == "transfer":
            await service.transfer(providers, identity, ref.thread_id, str(job["agent_id"]), ref.kind)
            notice = f"➡️ You transferred {label} to *{escape(job.get('agent_name') or job['agent_id'])}*."
        elif verb == "resolve":
            term = job.get("term_code")
            await service.resolve(providers, identity, ref.thread_id, str(job["account"]), term)
            code = f" with term code `{term}`" if term is not None else ""
            notice = f"✅ You resolved {label}{code}."
        else:
            log.error("unknown thread action %s", verb)
            return
    except Exception as error:
        text = f"Could not {VERBS.get(verb, verb)} {label}: {_problem(error, 'thread ' + verb)}"
        await respond(job["response_url"], {"text": text}, replace_original=False)
        return
    # The card updates in place: the whole list is read again (the thread may have moved inbox, changed
    # order or gone) and replaces the message the button was on.
    try:
        result = await service.threads(providers, identity, ref.state.kind, _scope(ref.state))
    except Exception as error:
        text = f"{notice} (The list could not be refreshed: {_problem(error, 'threads refresh')})"
        await respond(job["response_url"], {"text": text}, replace_original=False)
        return
    await respond(
        job["response_url"], threads_message(result, ref.state, notice=notice), replace_original=True
    )


@followup("thread_history")
async def thread_history(container: Any, job: dict[str, Any]) -> None:
    identity, providers, service = await _who(container, job)
    ref = ThreadRef.from_dict(job["ref"])
    try:
        entries, more = await service.history(providers, identity, ref.thread_id)
    except Exception as error:
        text = f"Could not read the history of {_thread_label(ref)}: {_problem(error, 'history')}"
        await respond(job["response_url"], {"text": text}, replace_original=False)
        return
    # A new ephemeral message: the card list stays where it is.
    await respond(job["response_url"], history_message(ref, entries, more), replace_original=False)


@followup("transfer_agents")
async def transfer_agents(container: Any, job: dict[str, Any]) -> None:
    """Fill the transfer modal (opened at once on the click) with the agents who can take the thread."""
    identity, providers, service = await _who(container, job)
    meta = ModalContext.from_metadata(job["meta"])
    try:
        agents = await service.transfer_candidates(providers, identity, meta.ref.thread_id)
        view = transfer_modal(meta, agents)
    except Exception as error:
        view = transfer_problem(meta, f"⚠️ {_problem(error, 'transfer agents')}")
    try:
        await container.slack.views_update(view_id=job["view_id"], view=view)
    except Exception as error:  # the person closed the modal meanwhile
        log.info("transfer modal not updated", extra={"error": type(error).__name__})


@followup("inbox")
async def inbox(container: Any, job: dict[str, Any]) -> None:
    identity, providers, service = await _who(container, job)
    team = await team_members(container.sessions, identity.team_id) if identity.may(Role.SUPERVISOR) else None
    try:
        overview = await service.overview(providers, identity, team=team)
    except Exception as error:
        await respond(job["response_url"], {"text": _problem(error, "inbox")}, replace_original=False)
        return
    await respond(job["response_url"], inbox_message(overview))


@followup("home")
async def home(container: Any, job: dict[str, Any]) -> None:
    """The full App Home: provider calls happen here, after the event or click was answered."""
    identity, providers, service = await _who(container, job)
    overview = None
    problem = None
    if identity.linked:
        team = (
            await team_members(container.sessions, identity.team_id)
            if identity.may(Role.SUPERVISOR)
            else None
        )
        try:
            overview = await service.overview(providers, identity, team=team)
        except Exception as error:
            problem = _problem(error, "home inbox")
    activity = await recent_activity(container.sessions, identity.team_id, identity.user_id)
    view = home_view(
        identity, overview=overview, problem=problem, activity=activity if identity.linked else None
    )
    await container.slack.views_publish(user_id=identity.user_id, view=view)


@followup("home_threads")
async def home_threads(container: Any, job: dict[str, Any]) -> None:
    identity, providers, service = await _who(container, job)
    try:
        view = my_threads_modal(await service.threads(providers, identity))
    except Exception as error:
        view = my_threads_modal(problem=_problem(error, "home threads"))
    try:
        await container.slack.views_update(view_id=job["view_id"], view=view)
    except Exception as error:
        log.info("threads modal not updated", extra={"error": type(error).__name__})
