"""The one task type: finish a Slack interaction after `ack()`.

Listeners defer `followup(name, payload)`; `name` picks a function registered with `@followup` (in
`bot.slack.followups`), which calls the services and answers through response_url or the Web API.
Follow-ups are not retried automatically: one may send an SMS, and each reports its own failures to the
person who asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import procrastinate

log = logging.getLogger(__name__)

FollowUp = Callable[[Any, dict[str, Any]], Awaitable[None]]
FOLLOWUPS: dict[str, FollowUp] = {}
FOLLOWUP_TASK = "sb:followup"
PROVIDER_NAMES = {"livevox": "LiveVox", "zoom": "Zoom", "routee": "Routee"}


def followup(name: str) -> Callable[[FollowUp], FollowUp]:
    def register(function: FollowUp) -> FollowUp:
        if name in FOLLOWUPS:
            raise ValueError(f"follow-up {name!r} registered twice")
        FOLLOWUPS[name] = function
        return function

    return register


async def run_followup(context: procrastinate.JobContext, name: str, payload: dict[str, Any]) -> None:
    import bot.slack.followups  # noqa: F401  (registers every follow-up)

    container = context.additional_context["container"]
    function = FOLLOWUPS.get(name)
    if function is None:
        log.error("unknown follow-up %s", name)
        return
    try:
        await function(container, payload)
    except Exception as error:
        # The one place a follow-up's unexpected failure is handled (Bolt's @app.error does not see jobs):
        # log it, and never leave the person looking at "⏳".
        log.exception("follow-up %s failed", name)
        await _tell_the_person(payload, error)


async def _tell_the_person(payload: dict[str, Any], error: Exception) -> None:
    from bot.providers.errors import ProviderError
    from bot.services.failures import describe
    from bot.slack.reply import respond

    url = payload.get("response_url")
    if not url:
        return
    if isinstance(error, ProviderError):
        text = describe(PROVIDER_NAMES.get(error.provider, error.provider), error)
    else:
        text = "Something went wrong on Switchboard's side; it has been logged. Please try again in a minute."
    try:
        await respond(str(url), {"text": text}, replace_original=False)
    except Exception:  # the response_url may have expired; the log above has the details
        log.warning("could not tell the person about the failed follow-up")


def install(app: procrastinate.App) -> None:
    """Register the tasks on one job app (a Blueprint binds to the first app only; tests build many)."""
    app.task(name=FOLLOWUP_TASK, queue="slack", pass_context=True)(run_followup)
