"""The Bolt app: verify ▸ resolve who is asking ▸ listener (ack first) ▸ one error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.container import Container
from bot.errors import ConfigError
from bot.logging import BOLT_LOGGER
from bot.slack.listeners import actions, commands, events, shortcuts, views

log = logging.getLogger(__name__)

SORRY = "Something went wrong on Switchboard's side; it has been logged. Please try again in a minute."


def create_app(
    container: Container, *, signing_secret: str | None = None, socket_mode: bool = False
) -> AsyncApp:
    """`socket_mode`: requests arrive over Slack's own WebSocket, so there is no signature to verify."""
    settings = container.settings
    secret = signing_secret or (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if not secret and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET is required to serve Slack requests")
    app = AsyncApp(
        client=container.slack,
        signing_secret=secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,  # ack() answers Slack at once; the listener goes on afterwards
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
        # Bolt's loggers take this one's level: WARNING outside DEBUG (see bot.logging.configure).
        logger=logging.getLogger(BOLT_LOGGER),
    )

    @app.middleware
    async def who_is_asking(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        context["container"] = container
        team_id = context.team_id or context.enterprise_id
        if team_id and context.user_id:
            context["identity"] = await container.identities.resolve(team_id, context.user_id)
        return await next()

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], context: AsyncBoltContext) -> None:
        log.exception("unhandled error in a Slack listener", exc_info=error)
        respond = context.respond
        if respond is not None:
            try:
                await respond(text=SORRY, response_type="ephemeral", replace_original=False)
            except Exception:  # the response_url may be gone; the log line above has the details
                log.warning("could not tell the user about the error")

    for package in (commands, actions, views, shortcuts, events):
        package.register(app)
    return app
