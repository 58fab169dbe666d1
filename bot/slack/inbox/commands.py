"""/inbox: the caller's inbox counts and inboxes; supervisors also see their team's counts."""

from __future__ import annotations

from bot.errors import InputError
from bot.services.inbox import NO_LOGIN
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.inbox.jobs import InboxJob
from bot.slack.text import escape

router = CommandRouter("/inbox", "your inbox at a glance", order=25)


@router.sub(None, "/inbox", "unread and active threads of your inboxes (supervisors: the team's too)")
async def inbox(inv: Invocation) -> None:
    if inv.args:
        raise InputError("`/inbox` takes no arguments; use `/threads` to list threads.")
    if not inv.identity.livevox_login:
        await inv.ack(text=escape(NO_LOGIN))  # mrkdwn: its `<LiveVox agent id>` stays visible
        return
    await inv.accept(InboxJob(envelope=inv.envelope()))


routers = [router]
