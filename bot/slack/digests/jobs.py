"""The digest run job, the periodic tick and run-now (the lead's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack.commands import Invocation

if TYPE_CHECKING:
    from bot.container import Container
    from bot.jobs.runner import JobRunner


# replaced by the lead
async def request_run_now(inv: Invocation, subscription_id: int) -> None:
    """Post digest `subscription_id` now, outside its schedule. `/switchboard digest run-now` calls this
    after validating that the digest is this team's, before it has acked (the ack is this function's)."""
    raise NotImplementedError


# replaced by the lead: bot.slack.jobs.install calls every feature's `install(runner)`.
def install(runner: JobRunner[Container]) -> None:
    del runner
