"""Blocks for /switchboard: help, whoami, audit, channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.db.models import AuditEvent, ChannelMapping
from bot.services.access import AGENT_NUMBERS
from bot.services.identity import Identity
from bot.slack.activity import target_words
from bot.slack.blocks.common import context, fit, header, message, section
from bot.slack.text import escape, when


def help_message(groups: Sequence[tuple[str, list[str]]], identity: Identity) -> dict[str, Any]:
    blocks: list[Any] = [header("Switchboard")]
    for summary, lines in groups:
        if lines:
            blocks.append(section(f"*{summary}*\n" + "\n".join(lines)))
    role = identity.role.value if identity.role else "not linked"
    blocks.append(
        context(
            f"You are *{role}*; you see the commands you may run. "
            "Add `--share` to post results to the channel."
        )
    )
    # The rule every read command and button applies (`bot.services.access`), in the same words.
    blocks.append(context(f"*Who sees what:* {AGENT_NUMBERS}"))
    return message(fit(blocks), "Switchboard help")


def whoami_message(identity: Identity) -> dict[str, Any]:
    if not identity.linked:
        return message(
            [
                section(f"<@{identity.user_id}> is *not linked* to Switchboard yet."),
                context("Ask an admin: `/switchboard link @you agent=&lt;id&gt; role=agent`."),
            ],
            "Not linked",
        )
    assert identity.role is not None
    fields = [
        f"*Role*\n{identity.role.value}",
        f"*LiveVox agent*\n{escape(identity.livevox_agent_id or '–')}"
        + (f" ({escape(identity.livevox_login)})" if identity.livevox_login else ""),
        f"*Zoom user*\n{escape(identity.zoom_user_id or '–')}",
        f"*Workspace*\n{identity.team_id}",
    ]
    return message(
        [section(f"<@{identity.user_id}>, you are linked as:", fields=fields)],
        f"Linked as {identity.role.value}",
    )


def audit_message(events: Sequence[AuditEvent], *, who: str | None) -> dict[str, Any]:
    title = f"Audit trail for <@{who}>" if who else "Audit trail"
    if not events:
        return message([section(f"*{title}*\nNothing recorded yet.")], title)
    lines = []
    for event in events:
        # People and channels as mentions, numbers as "a number ending in 0101" (bot/slack/activity.py);
        # the action keeps its code, which is what admins filter by.
        target = f" {target_words(event)}" if event.target_id else ""
        flag = "" if event.outcome == "ok" else f" _({escape(event.outcome)})_"
        actor = f"<@{event.actor}>" if event.actor.startswith(("U", "W")) else f"`{escape(event.actor)}`"
        lines.append(f"{when(event.created_at)} · {actor} · *{escape(event.action)}*{target}{flag}")
    blocks: list[Any] = [section(f"*{title}* (newest first)")]
    chunk: list[str] = []
    for line in lines:  # sections of up to ~2900 characters, so nothing is cut mid-line
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return message(fit(blocks), title)


CHANNEL_SET_USAGE = (
    "/switchboard channel set inbox=<LiveVox service id> queues=<zoom queue id,…> sender=<sms code> "
    "alerts=on|off"
)


def channel_message(channel_id: str, mapping: ChannelMapping | None, *, note: str = "") -> dict[str, Any]:
    """A channel's mapping (or that it has none), with how to change it."""
    title = f"Channel <#{channel_id}>"
    if mapping is None:
        blocks: list[Any] = [
            section(f"{note}*{title}* is not mapped to any inbox, queue or sender yet."),
            context(f"Map it: `{escape(CHANNEL_SET_USAGE)}`"),
        ]
        return message(blocks, f"{channel_id} is not mapped")
    queues = ", ".join(f"`{escape(q)}`" for q in mapping.zoom_queue_ids or []) or "–"
    inbox = f"`{escape(mapping.livevox_service_id)}`" if mapping.livevox_service_id else "–"
    if mapping.livevox_inbox:
        inbox += f" ({escape(mapping.livevox_inbox)})"
    sender = f"`{escape(mapping.sms_sender_code)}`" if mapping.sms_sender_code else "–"
    alerts = "on" if mapping.alerts_enabled is not False else "off"
    fields = [
        f"*LiveVox inbox (service)*\n{inbox}",
        f"*Zoom queues*\n{queues}",
        f"*SMS sender*\n{sender}",
        f"*Alerts*\n{alerts}",
    ]
    blocks = [
        section(f"{note}*{title}* is mapped to:", fields=fields),
        context(f"Change it: `{escape(CHANNEL_SET_USAGE)}` · remove it: `/switchboard channel clear`"),
    ]
    return message(blocks, f"Channel mapping of {channel_id}")
