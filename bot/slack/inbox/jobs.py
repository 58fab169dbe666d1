"""The job of `/inbox`: the person's inbox counts (and the team's, for supervisors)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from bot.db.models import Role
from bot.jobs.contract import Job
from bot.jobs.retry import is_transient
from bot.services.alerts import waiting
from bot.services.inbox import team_members
from bot.slack.alerts.blocks import waiting_blocks
from bot.slack.reply import respond
from bot.slack.threads.blocks import inbox_message
from bot.slack.threads.jobs import problem, who

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner


class InboxJob(Job):
    kind = "inbox"
    what: ClassVar[str] = "your inbox counts"


def install(runner: JobRunner[Container]) -> None:
    runner.register(InboxJob, inbox)


async def inbox(job: InboxJob, container: Container) -> None:
    url = job.envelope.response_url or ""
    identity, providers, service = await who(job.envelope, container)
    team = await team_members(container.sessions, identity.team_id) if identity.may(Role.SUPERVISOR) else None
    try:
        overview = await service.overview(providers, identity, team=team)
    except Exception as error:
        if is_transient(error):
            raise
        await respond(url, {"text": problem(error, "inbox")}, replace_original=False)
        return
    items, total = await waiting(container.sessions, identity)
    await respond(url, inbox_message(overview, waiting_blocks(items, total, now=container.clock.now())))
