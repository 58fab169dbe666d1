"""Slash commands: one router per command (each feature's `commands.routers`); dispatch checks roles
and answers usage errors once."""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.listener.async_listener import AsyncListener
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SwitchboardError
from bot.phones import find_numbers, mask, mask_all
from bot.slack.commands import CommandRouter, Invocation, split_share
from bot.slack.features import FEATURES
from bot.slack.guards import denial_text
from bot.slack.outcome import failure, for_error, refusal
from bot.slack.parsing import NUMBER_HEAD
from bot.slack.text import clip, error_text, escape

log = logging.getLogger(__name__)


def _routers() -> list[CommandRouter]:
    """Every feature's routers, one per slash command: a feature may add subcommands to a command
    another feature owns (digests add `/switchboard digest`), merged into the first router of it."""
    found: dict[str, CommandRouter] = {}
    for feature in FEATURES:
        try:
            module = importlib.import_module(f"bot.slack.{feature}.commands")
        except ModuleNotFoundError as error:
            if error.name != f"bot.slack.{feature}.commands":
                raise
            continue  # a feature without slash commands
        for router in getattr(module, "routers", []):
            if not isinstance(router, CommandRouter):
                continue
            owner = found.setdefault(router.command, router)
            if owner is not router:
                clash = owner.subcommands.keys() & router.subcommands.keys()
                if clash:
                    raise RuntimeError(f"{router.command}: {sorted(map(str, clash))} declared twice")
                owner.subcommands.update(router.subcommands)
    return sorted(found.values(), key=lambda router: router.order)


ROUTERS: list[CommandRouter] = _routers()


def _unknown(router: CommandRouter, word: str | None, identity: Any) -> str:
    lines = "\n".join(f"• {line}" for line in router.usage_lines(identity))
    opening = (
        f"I don't know `{router.command} {escape(clip(word, 40))}`."
        if word
        else f"`{router.command}` needs a subcommand."
    )
    return f"{opening} You can run:\n{lines}" if lines else opening


# A denial's audit row keeps the head of what was typed (an SMS body is not the point of the row).
ATTEMPT_CHARS = 120
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def attempted_target(args: list[str], region: str) -> tuple[str | None, str | None]:
    """What a refused command was about: the user or channel it names first, else the number it starts
    with (masked, as every number in the audit trail), else nothing."""
    for word in args[:3]:
        if found := _USER.match(word):
            return "user", found.group(1)
        if found := _CHANNEL.match(word):
            return "channel", found.group(1)
    for number in find_numbers(" ".join(args)[:NUMBER_HEAD], region):
        return "phone", mask(number.e164)
    return None, None


async def dispatch(
    router: CommandRouter,
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: dict[str, Any],
) -> None:
    container = context["container"]
    identity = context["identity"]
    sub, args, text = router.match(str(body.get("text", "")))
    if sub is None:
        await ack(**failure(_unknown(router, args[0] if args else None, identity)))
        return
    what = f"{router.command} {sub.name or ''}".strip()
    if not identity.may(sub.role):
        assert sub.role is not None
        await ack(**refusal(denial_text(identity, f"`{what}`", sub.role)))
        target_type, target_id = attempted_target(args, container.settings.default_region)
        await container.audit.denied(
            identity.team_id,
            identity.user_id,
            what,
            required=sub.role.value,
            target_type=target_type,
            target_id=target_id,
            attempted=mask_all(clip(f"{what} {text}".strip(), ATTEMPT_CHARS)),
        )
        return
    args, text, share = split_share(args, text)
    invocation = Invocation(
        command=router.command,
        args=args,
        text=text,
        identity=identity,
        body=body,
        ack=ack,
        respond=respond,
        client=client,
        context=context,
        share=share,
    )
    try:
        await sub.handler(invocation)
    except SwitchboardError as error:  # bad input: the message says what was expected
        answer = for_error(error, error_text(error))
        if ack.response is None:
            await ack(**answer)
        else:
            await respond(**answer, response_type="ephemeral", replace_original=False)


async def listener(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: dict[str, Any],
) -> None:
    await dispatch(BY_COMMAND[str(body.get("command", ""))], ack, body, respond, client, context)


BY_COMMAND: dict[str, CommandRouter] = {router.command: router for router in ROUTERS}


def replayable(body: dict[str, Any]) -> bool:
    """Whether this is a slash command whose subcommand is declared `replayable` (it changes nothing and
    answers only in its ack, with what the caller's role may run: `/switchboard help`) or that names no
    subcommand (answered, in the ack, with the usage the role may run). A byte-identical replay of one
    can do nothing but be answered the same again, so the front door does not claim it: that claim, a
    database write before the ack, was a fifth of help's CPU at 50 requests in flight."""
    router = BY_COMMAND.get(str(body.get("command", "")))
    if router is None:
        return False
    sub, _, _ = router.match(str(body.get("text", "")))
    return sub is None or sub.replayable


class CommandListener(AsyncListener):
    """Every slash command's one listener, matched and called directly.

    Bolt's own listener (`app.command`) builds its matcher's arguments and then its function's by
    introspection (`build_async_required_kwargs`, twice on every command), which in the ack benchmark's
    profile cost more than the dispatch to the command's router. This one matches on the command's name
    and hands the listener the five things it takes. Bolt runs it as any other listener (its runner: ack
    timeout, error handler, completion); it has no matchers, middleware or lazy functions of its own."""

    def __init__(self) -> None:
        self.matchers = ()
        self.middleware = ()
        self.ack_function = listener  # type: ignore[assignment]  # Bolt names and logs the listener by it
        self.lazy_functions = ()
        self.auto_acknowledgement = False
        self.ack_timeout = 3

    async def async_matches(self, *, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        command = req.body.get("command")
        return isinstance(command, str) and command in BY_COMMAND

    async def run_ack_function(self, *, request: AsyncBoltRequest, response: BoltResponse) -> None:
        context = request.context
        respond = context.respond
        assert respond is not None  # the front door gives every request its own (bot/slack/app.py)
        await listener(context.ack, request.body, respond, context.client, context)


def register(app: AsyncApp) -> None:
    # One listener for every command, found by name here: Bolt tries its listeners in turn, so one per
    # command made a command listed sixth pay five failed matches (and every button click all of them)
    # before its listener ran. Bolt has no public way to add a listener object; its list is where
    # `app.command` puts one.
    app._async_listeners.append(CommandListener())
