"""The real Switchboard app, in-process, for `switchboard shell`: embedded defaults, demo workspace,
emulated Slack. Requests still go through signed HTTP to /slack/events, so the console exercises the
same path as production."""

from __future__ import annotations

import contextlib
import secrets
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bot.console.driver import bolt_idle
from bot.console.emulator import DEFAULT_TOKEN
from bot.console.shell import LocalCommand, Shortcut
from bot.container import Container, running
from bot.db.migrate import upgrade
from bot.db.session import transaction
from bot.sandbox.livevox import InjectError
from bot.sandbox.world import DEMO
from bot.services.demo import seed_demo
from bot.settings import Settings
from bot.slack import ids
from bot.slack.app import create_app
from bot.slack.outcome import MARKERS
from bot.slack.web import create_web_app
from bot.slack.web_client import web_client
from bot.slack.workflows.steps import manifest_functions

# What app_manifest.yaml declares, as Slack would apply it (tests/console/test_app.py keeps them equal).
SHORTCUTS = (
    Shortcut(ids.SHORTCUT_SEND_SMS, "Send SMS", "global"),
    Shortcut(ids.SHORTCUT_LOOKUP_NUMBER, "Look up number", "message"),
    Shortcut(ids.SHORTCUT_TEXT_NUMBER, "Text this number", "message"),
    Shortcut(ids.SHORTCUT_SEND_AS_SMS, "Send as SMS", "message"),
)
# The Workflow Builder steps the manifest declares (tests/test_manifest.py keeps them equal): the emulator
# checks their completions, the console's `step` runs them.
FUNCTIONS = manifest_functions()
ESCAPED_COMMANDS = frozenset({"/switchboard"})  # should_escape: @user and #channel arrive as mentions
FAILURE_MARKERS = MARKERS  # block ids of answers that are refusals or errors

AppFactory = Callable[
    [str], contextlib.AbstractAsyncContextManager[tuple[Any, str, Callable[[], Awaitable[None]]]]
]


def console_factory(
    settings: Settings,
    *,
    migrate: bool = True,
    worker: bool = True,
    started: Callable[[Container], None] | None = None,
) -> AppFactory:
    """`run_console`'s app factory: given the emulator's API URL, yield (asgi app, signing secret, idle).

    `worker=False` leaves deferred jobs queued (tests use it to show they survive a restart). `started`
    is handed the container once it runs (`SandboxCommands.bind`).
    """

    @contextlib.asynccontextmanager
    async def factory(api_url: str) -> AsyncIterator[tuple[Any, str, Callable[[], Awaitable[None]]]]:
        if migrate:
            upgrade(settings.database_url)
        client = web_client(DEFAULT_TOKEN, api_url)
        signing_secret = secrets.token_hex(16)
        # The emulator is this app's Slack: its response_urls are the ones the app may answer through.
        emulated = settings.model_copy(update={"slack_api_url": api_url})
        async with running(emulated, worker=worker, slack_client=client) as container:
            async with transaction(container.sessions) as session:
                await seed_demo(session, container.box, DEMO)
            if started is not None:
                started(container)
            web = create_web_app(
                container, create_app(container, signing_secret=signing_secret), signing_secret=signing_secret
            )

            async def idle() -> None:
                await bolt_idle()
                await container.wait_idle()

            yield web, signing_secret, idle

    return factory


INJECT_USAGE = 'inject inbound --from +1… --inbox <LiveVox channel id> --text "…"'


class SandboxCommands:
    """The console's commands on its in-process sandbox (the container's `SandboxSource`):
    `inject inbound --from +1… --inbox 100915 --text "…"`, a customer texting a LiveVox inbox, which
    prints what `switchboard sandbox inject inbound` prints. Bound to the container once it runs."""

    def __init__(self) -> None:
        self.container: Container | None = None

    def bind(self, container: Container) -> None:
        self.container = container

    @property
    def commands(self) -> tuple[LocalCommand, ...]:
        return (
            LocalCommand(
                "inject",
                INJECT_USAGE,
                "a customer texts a LiveVox inbox of the sandbox (new unread thread, or appended)",
                self.inject,
            ),
        )

    async def inject(self, rest: str) -> tuple[bool, str]:
        usage = f"usage: {INJECT_USAGE}"
        try:
            words = shlex.split(rest)
        except ValueError as error:  # an unclosed quote
            return False, f"{error}; {usage}"
        if not words or words[0] != "inbound":
            return False, usage
        options: dict[str, str] = {}
        rest_words = words[1:]
        while rest_words:
            word = rest_words.pop(0)
            name, sep, value = word.partition("=")
            if name not in ("--from", "--inbox", "--text"):
                return False, f"unknown option {word!r}; {usage}"
            if not sep:
                if not rest_words:
                    return False, f"{name} needs a value; {usage}"
                value = rest_words.pop(0)
            options[name[2:]] = value
        missing = [f"--{key}" for key in ("from", "inbox", "text") if key not in options]
        if missing:
            return False, f"missing {', '.join(missing)}; {usage}"
        sandbox = self.container.sandbox if self.container is not None else None
        if sandbox is None:
            return False, "inject works on the sandbox providers only (SWITCHBOARD_PROVIDERS=sandbox)"
        try:
            injected = sandbox.livevox.inject_inbound(
                inbox=options["inbox"], number=options["from"], text=options["text"]
            )
        except InjectError as error:
            return False, str(error)
        return True, injected.line()
