"""The real Switchboard app, in-process, for `switchboard shell`: embedded defaults, demo workspace,
emulated Slack. Requests still go through signed HTTP to /slack/events, so the console exercises the
same path as production."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.console.driver import bolt_idle
from bot.console.emulator import DEFAULT_TOKEN
from bot.console.shell import Shortcut
from bot.container import running
from bot.db.migrate import upgrade
from bot.db.session import transaction
from bot.sandbox.world import DEMO
from bot.services.demo import seed_demo
from bot.settings import Settings
from bot.slack import ids
from bot.slack.app import create_app
from bot.slack.outcome import MARKERS
from bot.slack.web import create_web_app

# What app_manifest.yaml declares, as Slack would apply it (tests/console/test_app.py keeps them equal).
SHORTCUTS = (
    Shortcut(ids.SHORTCUT_SEND_SMS, "Send SMS", "global"),
    Shortcut(ids.SHORTCUT_LOOKUP_NUMBER, "Look up number", "message"),
    Shortcut(ids.SHORTCUT_TEXT_NUMBER, "Text this number", "message"),
)
ESCAPED_COMMANDS = frozenset({"/switchboard"})  # should_escape: @user and #channel arrive as mentions
FAILURE_MARKERS = MARKERS  # block ids of answers that are refusals or errors

AppFactory = Callable[
    [str], contextlib.AbstractAsyncContextManager[tuple[Any, str, Callable[[], Awaitable[None]]]]
]


def console_factory(settings: Settings, *, migrate: bool = True, worker: bool = True) -> AppFactory:
    """`run_console`'s app factory: given the emulator's API URL, yield (asgi app, signing secret, idle).

    `worker=False` leaves deferred jobs queued (tests use it to show they survive a restart).
    """

    @contextlib.asynccontextmanager
    async def factory(api_url: str) -> AsyncIterator[tuple[Any, str, Callable[[], Awaitable[None]]]]:
        if migrate:
            upgrade(settings.database_url)
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        signing_secret = secrets.token_hex(16)
        # The emulator is this app's Slack: its response_urls are the ones the app may answer through.
        emulated = settings.model_copy(update={"slack_api_url": api_url})
        async with running(emulated, worker=worker, slack_client=client) as container:
            async with transaction(container.sessions) as session:
                await seed_demo(session, container.box, DEMO)
            web = create_web_app(
                container, create_app(container, signing_secret=signing_secret), signing_secret=signing_secret
            )

            async def idle() -> None:
                await bolt_idle()
                await container.wait_idle()

            yield web, signing_secret, idle

    return factory
