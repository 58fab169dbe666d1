"""app_home_opened: publish a skeleton at once (no provider calls), then the full Home from a follow-up."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.services.identity import Identity
from bot.slack.home.blocks import home_view
from bot.slack.home.jobs import HomeJob
from bot.slack.jobs import for_user


async def publish_home(context: dict[str, Any], identity: Identity) -> None:
    """Shared with the Refresh button: the skeleton now, the inbox and activity when the follow-up ends."""
    container = context["container"]
    slack = await container.slack_for(identity.team_id)
    await slack.views_publish(user_id=identity.user_id, view=home_view(identity, loading=identity.linked))
    if identity.linked:  # an unlinked person's Home is complete already: nothing to fetch
        await container.defer(HomeJob(envelope=for_user(identity, "event:app_home_opened")))


async def home_opened(event: dict[str, Any], context: dict[str, Any]) -> None:
    if event.get("tab", "home") != "home":
        return
    await publish_home(context, context["identity"])


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
