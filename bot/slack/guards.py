"""Role checks for buttons, modals and shortcuts, declared where a feature binds its listener, the way
slash commands declare theirs on their router:

    app.action(ids.ACTION_SEND_CONFIRM)(requires(Role.AGENT, "Sending SMS")(on_send))

A denial is answered once, here, the way the surface allows (see `deny`), and written to the audit trail;
the listener itself never runs for someone who may not use it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.services.identity import Identity
from bot.slack.commands import NOT_LINKED
from bot.slack.outcome import REFUSED, refusal
from bot.slack.reply import respond
from bot.slack.text import clip

log = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]

# Slack shows a field error of at most this many characters under the input.
FIELD_ERROR_CHARS = 150


def denial_text(identity: Identity, what: str, required: Role) -> str:
    if not identity.linked:
        return NOT_LINKED
    assert identity.role is not None
    # Nothing is above admin: "for admins", not "for admins and above".
    who = "admins" if required is Role.ADMIN else f"{required.value}s and above"
    return f"{what} is for {who}; you are {identity.role.value}."


def requires(role: Role, what: str) -> Callable[[Listener], Listener]:
    """Wrap a Bolt listener so that it runs only for people with `role`; `what` names it in the denial.

    Bolt injects a listener's arguments by their names, so the wrapper takes Bolt's `args` and hands the
    listener exactly the names it declares (checked once, here, when the feature registers it).
    """

    def wrap(listener: Listener) -> Listener:
        wanted = list(inspect.signature(listener).parameters)
        unknown = [name for name in wanted if name not in _INJECTED]
        if unknown:
            raise TypeError(f"{listener.__qualname__} asks for {unknown}, which requires() cannot pass")

        async def guarded(args: AsyncArgs) -> None:
            identity: Identity = args.context["identity"]
            if not identity.may(role):
                await deny(args, identity, role, what)
                return
            await listener(**{name: getattr(args, name) for name in wanted})

        guarded.__name__ = listener.__name__  # Bolt names listeners in its logs by __name__
        guarded.__qualname__ = listener.__qualname__
        guarded.__doc__ = listener.__doc__
        return guarded

    return wrap


# What a guarded listener may declare: the arguments Bolt gives every listener.
_INJECTED = frozenset(
    {"ack", "body", "context", "client", "respond", "payload", "action", "view", "shortcut"}
)


async def deny(args: AsyncArgs, identity: Identity, required: Role, what: str) -> None:
    """The one denial path: an answer where the person is, and one audit row.

    - a modal submission: the modal stays open with the reason under its first input (or, without an input,
      the modal turns into the reason);
    - a click or a shortcut: the ack first (Slack shows an error after 3 s), then the reason ephemerally
      through the payload's own response_url (Slack's, verified with the request), else ephemerally in the
      channel it came from, else in a DM (a global shortcut, App Home, a button inside a modal).
    """
    text = denial_text(identity, what, required)
    body: dict[str, Any] = args.body
    if body.get("type") == "view_submission":
        view = body.get("view") or {}
        first = next((b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"), None)
        if first:
            await args.ack(response_action="errors", errors={str(first): clip(text, FIELD_ERROR_CHARS)})
        else:
            await args.ack(response_action="update", view=refused_view(text))
    else:
        await args.ack()
    target_type, target_id, attempted = _attempt(body)
    await args.context["container"].audit.denied(
        identity.team_id,
        identity.user_id,
        what,
        required=required.value,
        target_type=target_type,
        target_id=target_id,
        attempted=attempted,
    )
    if body.get("type") == "view_submission":
        return
    await tell(args.client, body, identity.user_id, text)


STALE_FORM = "the form's private_metadata names no form of theirs (another person's, edited, or expired)"


async def refuse_submission(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, what: str, *, field: str, text: str
) -> None:
    """A form refused for what came back with it, not for the person's role (another person's form, an
    edited private_metadata, an expired form): the reason under `field` in the open modal, and one audit
    row, as `deny` writes one."""
    await ack(response_action="errors", errors={field: clip(text, FIELD_ERROR_CHARS)})
    identity: Identity = context["identity"]
    target_type, target_id, attempted = _attempt(body)
    await context["container"].audit.denied(
        identity.team_id,
        identity.user_id,
        what,
        required=None,
        target_type=target_type,
        target_id=target_id,
        attempted=attempted,
        reason=STALE_FORM,
    )


def _attempt(body: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """What a refused click, submission or shortcut was: its action / callback id, and the channel."""
    kind = str(body.get("type") or "")
    if kind == "block_actions":
        surface = f"button {(body.get('actions') or [{}])[0].get('action_id', '')}"
    elif kind in ("view_submission", "view_closed"):
        surface = f"form {(body.get('view') or {}).get('callback_id', '')}"
    else:
        surface = f"{kind.replace('_', ' ')} {body.get('callback_id', '')}".strip()
    channel = str(
        (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id") or ""
    )
    return ("channel", channel, surface) if channel else (None, None, surface)


async def tell(client: AsyncWebClient, body: dict[str, Any], user_id: str, text: str) -> None:
    """An ephemeral answer to the person behind `body`, wherever it can reach them."""
    answer = refusal(text)
    response_url = str(body.get("response_url") or "")
    if response_url and await respond(response_url, answer, replace_original=False):
        return
    channel = str(
        (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id") or ""
    )
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user_id, **answer)
            return
        except SlackApiError as error:  # the bot is not in that channel: a DM reaches them anyway
            log.info("ephemeral refused, sending a DM", extra={"error": error.response.get("error")})
    await client.chat_postMessage(channel=user_id, **answer)


def refused_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Switchboard"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "block_id": REFUSED, "text": {"type": "mrkdwn", "text": text}}],
    }
