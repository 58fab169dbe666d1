"""app_home_opened: publish a skeleton at once (no provider calls), then the full Home from a follow-up."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.jobs.retry import is_database_outage
from bot.services.identity import Identity
from bot.slack.home.blocks import home_view
from bot.slack.home.jobs import HomeJob
from bot.slack.jobs import error_words, for_user

log = logging.getLogger(__name__)


async def publish_home(context: dict[str, Any], identity: Identity) -> None:
    """Shared with the Refresh button: the skeleton now, the inbox and activity when the follow-up ends."""
    container = context["container"]
    slack = await container.slack_for(identity.team_id)
    await slack.views_publish(user_id=identity.user_id, view=home_view(identity, loading=identity.linked))
    if not identity.linked:  # an unlinked person's Home is complete already: nothing to fetch
        return
    try:
        await container.defer(HomeJob(envelope=for_user(identity, "event:app_home_opened")))
    except Exception as error:  # the inbox will not load: the Home says why instead of "Loading…"
        log.warning("the Home's follow-up could not be stored", exc_info=not is_database_outage(error))
        await slack.views_publish(
            user_id=identity.user_id, view=home_view(identity, problem=error_words(error))
        )


async def home_opened(event: dict[str, Any], context: dict[str, Any]) -> None:
    if event.get("tab", "home") != "home":
        return
    await publish_home(context, context["identity"])


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
