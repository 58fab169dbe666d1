"""/threads [channel-type] [personal|group]: the caller's open threads as cards with buttons."""

from __future__ import annotations

from bot.errors import InputError
from bot.services.inbox import CHANNEL_TYPES, NO_LOGIN, SCOPES, channel_type
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.text import escape
from bot.slack.threads.jobs import ThreadsJob

router = CommandRouter("/threads", "work your SMS inbox", order=20)
USAGE = "/threads [sms|email|chat|voicemail|messaging] [personal|group]"


def parse_threads(args: list[str]) -> tuple[str, str]:
    """Channel type and inbox scope, in either order; SMS and both inboxes when left out."""
    kind: str | None = None
    scope: str | None = None
    for word in args:
        lowered = word.lower()
        if lowered in SCOPES and scope is None:
            scope = lowered
        elif lowered in CHANNEL_TYPES and kind is None:
            kind = channel_type(lowered)
        else:
            raise InputError(f"I don't understand `{word}`.\nUsage: `{USAGE}`")
    return kind or "SMS", scope or "both"


@router.sub(None, USAGE, "your open threads: take, release, transfer, resolve, mark read, reply")
async def threads(inv: Invocation) -> None:
    kind, scope = parse_threads(inv.args)
    if not inv.identity.livevox_login:
        await inv.ack(text=escape(NO_LOGIN))  # mrkdwn: its `<LiveVox agent id>` stays visible
        return
    await inv.accept(ThreadsJob(envelope=inv.envelope(), channel_kind=kind, scope=scope))


routers = [router]
