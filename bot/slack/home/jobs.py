"""Jobs of the App Home: the full Home (after the skeleton was published) and the "My threads" modal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from bot.db.models import Role
from bot.jobs.contract import Job
from bot.services.alerts import waiting
from bot.services.digest_admin import DigestAdmin
from bot.services.inbox import recent_activity, team_members
from bot.slack.alerts.blocks import waiting_blocks
from bot.slack.home.blocks import home_view, my_threads_modal
from bot.slack.sms import later
from bot.slack.sms.later import home_scheduled
from bot.slack.threads.jobs import problem, who

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner

log = logging.getLogger(__name__)


class HomeJob(Job):
    kind = "home"
    what: ClassVar[str] = "your App Home"


class HomeThreadsJob(Job):
    kind = "home_threads"
    what: ClassVar[str] = "your thread list"
    view_id: str


def install(runner: JobRunner[Container]) -> None:
    runner.register(HomeJob, home)
    runner.register(HomeThreadsJob, home_threads)


async def home(job: HomeJob, container: Container) -> None:
    """The full App Home: provider calls happen here, after the event or click was answered."""
    identity, providers, service = await who(job.envelope, container)
    overview = None
    trouble = None
    if identity.linked:
        team = (
            await team_members(container.sessions, identity.team_id)
            if identity.may(Role.SUPERVISOR)
            else None
        )
        try:
            overview = await service.overview(providers, identity, team=team)
        except Exception as error:
            trouble = problem(error, "home inbox")
    activity = await recent_activity(container.sessions, identity.team_id, identity.user_id)
    digests = None
    if identity.may(Role.ADMIN):  # the Digests section, with "Add digest", is for admins
        async with container.sessions() as session:
            digests = await DigestAdmin(session, identity.team_id, actor=identity.user_id).listings(
                datetime.now(UTC)
            )
    waiting_now = None
    if identity.linked:
        items, total = await waiting(container.sessions, identity)
        waiting_now = waiting_blocks(items, total, now=container.clock.now())
    scheduled = None
    if identity.linked:
        scheduled = home_scheduled(
            list(await later.sends(container).waiting(identity, team=False, limit=later.HOME_ROWS + 20))
        )
    view = home_view(
        identity,
        overview=overview,
        problem=trouble,
        activity=activity if identity.linked else None,
        digests=digests,
        waiting=waiting_now,
        scheduled=scheduled,
    )
    slack = await container.slack_for(identity.team_id)
    await slack.views_publish(user_id=identity.user_id, view=view)


async def home_threads(job: HomeThreadsJob, container: Container) -> None:
    identity, providers, service = await who(job.envelope, container)
    try:
        view = my_threads_modal(await service.threads(providers, identity))
    except Exception as error:
        view = my_threads_modal(problem=problem(error, "home threads"))
    try:
        slack = await container.slack_for(job.envelope.team_id)
        await slack.views_update(view_id=job.view_id, view=view)
    except Exception as error:
        log.info("threads modal not updated", extra={"error": type(error).__name__})
