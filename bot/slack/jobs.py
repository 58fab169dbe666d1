"""The Slack layer's side of the job contract: envelopes from verified payloads, the failure notifier,
and `install(runner)`, which puts every feature's jobs into the runner (`bot.jobs` never imports us)."""

from __future__ import annotations

import asyncio
import importlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.db.repositories.claims import delete_old_claims
from bot.db.repositories.payloads import delete_expired_payloads
from bot.db.session import transaction
from bot.errors import BusyError, InputError, NotFoundError
from bot.jobs.contract import Claim, Envelope, Failure, Job
from bot.jobs.retry import is_database_outage
from bot.providers.errors import ProviderError
from bot.services.failures import describe
from bot.services.identity import Identity
from bot.services.sms import settle_stale
from bot.slack.features import FEATURES
from bot.slack.outcome import FAILED
from bot.slack.outcome import failure as _failure
from bot.slack.reply import respond
from bot.slack.text import error_text, escape

if TYPE_CHECKING:
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.container import Container
    from bot.jobs.runner import JobRunner
    from bot.settings import Settings

log = logging.getLogger(__name__)

PROVIDER_NAMES = {"livevox": "LiveVox", "zoom": "Zoom", "routee": "Routee"}

SORRY = "Something went wrong on Switchboard's side; it has been logged. Please try again in a minute."
NO_DATABASE = "Switchboard can't reach its database right now; please try again in a minute."

# A request answered by a job is acked once the job is stored (`accept`), waiting for the store this long
# at most: Slack wants its ack within 3 s.
STORE_BEFORE_ACK_SECONDS = 1.0


async def accept(
    container: Container, job: Job, ack: AsyncAck, *, unavailable: dict[str, Any] | None = None
) -> None:
    """Ack once `job` is stored, so that an ack means the work is in the queue: a web process dying a
    moment after it loses nothing, and one dying before it leaves Slack to show the person that the
    command or click failed. A job that claims its intent (`Envelope.once`) claims it when it runs, so a
    click whose job was never stored can be made again.

    `unavailable`: what the ack says while the database is away, where an ack can say it (a command's
    words, a modal's page). Without it (a click: Slack shows nothing of a click's ack) the error is raised
    after the ack, and the error handler tells the person through the response_url. A store slower than
    `STORE_BEFORE_ACK_SECONDS` is acked anyway, and a failure after that is told the same way."""
    stored = container.defer(job)
    done, _ = await asyncio.wait({stored}, timeout=STORE_BEFORE_ACK_SECONDS)
    error = stored.exception() if done else None
    if unavailable is not None and error is not None and is_database_outage(error):
        log.warning("a request's job could not be stored: %s", type(error).__name__)
        await ack(**unavailable)
        return
    await ack()
    await stored  # what it raised reaches the error handler, which tells the person


def unavailable_view(text: str = NO_DATABASE) -> dict[str, Any]:
    """What a modal turns into when its work cannot go on (a submission, or the follow-up that would fill
    it in, that could not be stored): words, not a modal that closed as if the submission had worked or one
    that waits for ever."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Switchboard"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "block_id": FAILED, "text": {"type": "mrkdwn", "text": text}}],
    }


async def fill_in(container: Container, client: AsyncWebClient, view_id: str, job: Job) -> None:
    """Defer `job`, which fills in a modal opened at once (a trigger_id lives 3 s) and now "Loading… ⏳".
    If the job cannot be stored, the modal says why instead of waiting for ever (here, not also by the
    error handler's message on top of it)."""
    try:
        await container.defer(job)
    except Exception as error:
        log.warning("a modal's follow-up could not be stored", exc_info=not is_database_outage(error))
        await client.views_update(view_id=view_id, view=unavailable_view(error_words(error)))


# A submitted modal's ack while the database is away (`accept`): the modal turns into the words.
UNAVAILABLE: dict[str, Any] = {"response_action": "update", "view": unavailable_view()}


def from_body(body: dict[str, Any], identity: Identity, origin: str, *, once: str | None = None) -> Envelope:
    """The envelope of a verified interaction payload (commands, buttons, shortcuts, views).

    `response_url` is read only here, from the payload Slack signed: never from `private_metadata` or a
    button value, which the client can edit. `once`: the intent's key, when a repeat must do nothing
    (`Envelope.once`).
    """
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    if not channel:
        channel = (body.get("container") or {}).get("channel_id")
    url = body.get("response_url")
    if not url:  # views: Slack puts it in response_urls when the modal asks for one
        urls = body.get("response_urls") or []
        url = urls[0].get("response_url") if urls and isinstance(urls[0], dict) else None
    return Envelope(
        team_id=identity.team_id,
        user_id=identity.user_id,
        channel_id=str(channel) if channel else None,
        response_url=str(url) if url else None,
        origin=origin,
        once=Claim(key=once) if once else None,
    )


def for_user(identity: Identity, origin: str, channel_id: str | None = None) -> Envelope:
    """An envelope with no response_url (App Home, modal follow-ups): answers go through the Web API."""
    return Envelope(team_id=identity.team_id, user_id=identity.user_id, channel_id=channel_id, origin=origin)


def failure_text(job: Job, failure: Failure, error: BaseException | None) -> str:
    advice = job.after_failure()
    if not advice:
        return _failure_text(job, failure, error)
    # A follow-up of work already done: say what could not be finished, never "try again".
    what = job.describe()
    if isinstance(error, ProviderError):
        name = job.provider_names.get(error.provider) or PROVIDER_NAMES.get(error.provider, error.provider)
        reason = f"Switchboard could not finish {what}: {name} did not answer properly."
    elif error is not None and is_database_outage(error):
        reason = f"Switchboard could not finish {what}: it can't reach its database right now."
    elif failure in (Failure.EXPIRED, Failure.OUTCOME_UNKNOWN):
        reason = f"Switchboard could not finish {what} in time."
    else:
        reason = f"Switchboard could not finish {what}; it has been logged."
    return f"{reason} {advice}"


def _failure_text(job: Job, failure: Failure, error: BaseException | None) -> str:
    what = job.describe()
    if failure is Failure.OUTCOME_UNKNOWN:
        return (
            f"Switchboard stopped while working on {what}, so it may or may not have gone through; "
            f"it will not be repeated. {job.when_unknown()}"
        )
    if failure is Failure.EXPIRED:
        return f"Switchboard could not finish {what} in time; please try again."
    if failure is Failure.UNREADABLE:
        return "Switchboard was updated while your request waited and could not finish it; please try again."
    if isinstance(error, ProviderError):
        name = job.provider_names.get(error.provider) or PROVIDER_NAMES.get(error.provider, error.provider)
        return describe(name, error)
    return error_words(error)


def error_words(error: BaseException | None) -> str:
    """What the person is told about an error nothing more specific explains (a job's, a listener's).
    Input the work could not use, or something it names that does not exist, is said in its own words
    (a `SwitchboardError`'s message is written to be shown); a Slack permission the app lacks says the app
    needs reinstalling; anything else is Switchboard's fault."""
    if isinstance(error, BusyError | InputError | NotFoundError):
        return error_text(error)
    if (words := missing_scope(error)) is not None:
        return words
    if error is not None and is_database_outage(error):
        return NO_DATABASE
    return SORRY


def missing_scope(error: BaseException | None) -> str | None:
    """The words for Slack refusing a call because the app was not granted a scope it needs
    (`missing_scope`, naming it in `needed`): only reinstalling the app grants it, so the person is told
    that, never to try again. None for any other error."""
    if not isinstance(error, SlackApiError) or error.response.get("error") != "missing_scope":
        return None
    needed = str(error.response.get("needed") or "").strip()
    which = f" (`{escape(needed)}`)" if needed else ""
    # Short enough for a modal's field error (150 characters) with one scope named.
    return (
        f"Switchboard lacks a Slack permission{which}: a workspace admin must reinstall the app with its "
        "current manifest. Trying again won't help."
    )


async def tell_failure(job: Job, failure: Failure, error: BaseException | None, container: Container) -> None:
    """The runner's notifier: nobody is left looking at "⏳" (response_url, else ephemeral, else a DM)."""
    if not job.tells_person:  # it answers a channel, through its own notifier
        return
    envelope = job.envelope
    # A command's answer (acked without a placeholder) is the failure; a card a button was on is left as
    # it is. `replace_original` on a command's response_url posts a new message, as Slack does.
    replace = envelope.origin.startswith("/")
    await tell_person(container, envelope, _failure(failure_text(job, failure, error)), replace=replace)


async def tell_person(
    container: Container, envelope: Envelope, answer: dict[str, Any], *, replace: bool = False
) -> None:
    """Tell the person in `envelope` (an answer payload: text and blocks) through its response_url, else
    in an ephemeral message where they asked, else in a DM (a channel the app is not in refuses the
    ephemeral)."""
    if envelope.response_url and await respond(envelope.response_url, answer, replace_original=replace):
        return
    slack = await container.slack_for(envelope.team_id)
    try:
        if envelope.channel_id:
            await slack.chat_postEphemeral(channel=envelope.channel_id, user=envelope.user_id, **answer)
            return
    except SlackApiError as error:
        log.info("ephemeral refused, sending a DM", extra={"error": error.response.get("error")})
    await slack.chat_postMessage(channel=envelope.user_id, **answer)


HOUSEKEEPING_TASK = "sb:housekeeping"
# How long a claimed intent (`Envelope.once`) is kept: Slack's retries and a double click come within
# minutes, and a card's buttons are refused on their own row's state long after.
CLAIMS_KEPT = timedelta(days=2)


async def housekeeping(container: Container, timestamp: int) -> None:
    """Once an hour (the tick at the top of it): forget the Slack layer's short-lived state, the
    server-side payloads behind buttons and modals once expired, and the claims of intents done days
    ago; nothing else deletes them, and both tables grew with every click. And the outbox rows a send
    left PENDING (its provider answer could not be written) end UNKNOWN (`bot.services.sms.settle_stale`)."""
    if timestamp % 3600 >= 60:
        return
    async with transaction(container.sessions) as session:
        await delete_expired_payloads(session)
        await delete_old_claims(session, older_than=CLAIMS_KEPT)
    # An SMS whose provider answer could not be written stays PENDING no longer than this (never re-sent).
    async with transaction(container.sessions) as session:
        await settle_stale(session)


def install(runner: JobRunner[Container], settings: Settings) -> None:
    """Register every feature's jobs, its periodic tasks (`install_periodic(runner, settings)`, for the
    features that speak first), the hourly housekeeping and the failure notifier (idempotent)."""
    for feature in FEATURES:
        try:
            module = importlib.import_module(f"bot.slack.{feature}.jobs")
        except ModuleNotFoundError as error:
            if error.name != f"bot.slack.{feature}.jobs":
                raise
            continue  # a feature without jobs
        module.install(runner)
        periodic = getattr(module, "install_periodic", None)
        if callable(periodic):
            periodic(runner, settings)
    runner.periodic(HOUSEKEEPING_TASK, every_seconds=60, handler=housekeeping)
    runner.on_failure(tell_failure)
