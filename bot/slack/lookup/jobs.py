"""Jobs of /lookup, /sms logs and /calls (and their Share, More and shortcut buttons).

Each resolves who asked (fresh from the database), checks that they may see the number (one rule for
every read path: `bot.services.access.NumberAccess`), calls the services, renders blocks and answers
through the interaction's response_url. Both only read, so a transient failure is retried (see
`bot.jobs.contract`); a final one is told to the person by the runner's notifier.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, ClassVar

from bot.jobs.contract import Effect, Envelope, Job
from bot.phones import mask
from bot.providers.livevox.models import Thread
from bot.services.access import AccessDenied, NumberAccess
from bot.services.calls import CallsService
from bot.services.time_range import parse_range
from bot.slack.lookup.blocks import calls_message, report_message
from bot.slack.outcome import refusal
from bot.slack.reply import respond
from bot.slack.text import error_text, pretty_number

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner
    from bot.services.providers import Providers

log = logging.getLogger(__name__)

# What `--share` and the *Share in channel* button both say once the result is in the channel; the
# person's private copy stays as it was.
SHARED = "Shared in the channel."


class LookupJob(Job):
    """One number's timeline: everything (`calls`), or only its SMS (`/sms logs`)."""

    kind = "lookup"
    effect: ClassVar[Effect] = Effect.READ
    what: ClassVar[str] = "your lookup"

    number: str
    range: str | None = None
    calls: bool = True
    share: bool = False

    def describe(self) -> str:
        return f"your lookup of {pretty_number(self.number)}"


class CallsJob(Job):
    """A page of a number's voice calls."""

    kind = "calls"
    effect: ClassVar[Effect] = Effect.READ
    provider_names: ClassVar[dict[str, str]] = {"zoom": "Zoom Contact Center"}

    number: str
    range: str | None = None
    offset: int = 0
    share: bool = False

    def describe(self) -> str:
        return f"the calls of {pretty_number(self.number)}"


def install(runner: JobRunner[Container]) -> None:
    runner.register(LookupJob, lookup)
    runner.register(CallsJob, calls)


class _Refused(Exception):
    """The person may not see the number; they have been told (and the refusal audited)."""


async def readable(
    container: Container, envelope: Envelope, providers: Providers, number: str, what: str
) -> list[Thread] | None:
    """The number's LiveVox threads when the check listed them (`NumberAccess.check`); raises `_Refused`
    after telling the person why. Without LiveVox an agent's access cannot be checked: a failure propagates,
    so a transient one is retried and a final one is told in words (the runner's notifier)."""
    identity = await container.identities.current(envelope.team_id, envelope.user_id)
    access = NumberAccess(container.sessions, container.audit, container.history)
    try:
        return await access.check(providers, identity, number, what=what)
    except AccessDenied as error:
        # Replaces the page a button was on (a command has none): nothing of the number stays shown.
        await respond(envelope.response_url or "", refusal(error_text(error)))
        raise _Refused from error


async def lookup(job: LookupJob, container: Container) -> None:
    envelope = job.envelope
    url = envelope.response_url or ""
    identity = await container.identities.current(envelope.team_id, envelope.user_id)
    providers = await container.providers.for_team(envelope.team_id)
    number = job.number
    span = parse_range(job.range)
    try:
        threads = await readable(
            container, envelope, providers, number, "/lookup" if job.calls else "/sms logs"
        )
    except _Refused:
        return
    if job.calls:
        report = await container.history.lookup(providers, identity, number, span, threads=threads)
        title = "Lookup"
    else:
        report = await container.history.sms_logs(providers, identity, number, span, threads=threads)
        title = "SMS logs"
    share = job.share
    kind = "lookup" if job.calls else "sms"
    payload = report_message(
        report,
        title=title,
        kind=kind,
        range_text=job.range,
        shared_by=envelope.user_id if share else None,
    )
    await respond(url, payload, share=share)
    if share:
        await respond(url, {"text": SHARED}, replace_original=False)
    log.info("lookup answered", extra={"number": mask(number), "user": envelope.user_id})


async def calls(job: CallsJob, container: Container) -> None:
    envelope = job.envelope
    url = envelope.response_url or ""
    providers = await container.providers.for_team(envelope.team_id)
    try:
        await readable(container, envelope, providers, job.number, "/calls")
    except _Refused:
        return
    if providers.zoom is None:
        await respond(
            url,
            {"text": "Zoom is not connected; an admin can connect it with `/switchboard connect zoom`."},
        )
        return
    # A Zoom failure is retried if transient, else told by the runner's notifier ("Zoom Contact Center…").
    span = parse_range(job.range)
    page = await CallsService().page(providers, job.number, span, offset=job.offset)
    share = job.share
    payload = calls_message(
        page,
        job.number,
        job.range or "",
        range_label=span.label(),
        shared_by=envelope.user_id if share else None,
        page_id=secrets.token_urlsafe(6),
    )
    await respond(url, payload, share=share)
    if share:
        await respond(url, {"text": SHARED}, replace_original=False)
