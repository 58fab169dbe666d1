"""Blocks for /switchboard: help, whoami, audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.db.models import AuditEvent
from bot.services.identity import Identity
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
    return message(fit(blocks), "Switchboard help")


def whoami_message(identity: Identity) -> dict[str, Any]:
    if not identity.linked:
        return message(
            [
                section(f"<@{identity.user_id}> is *not linked* to Switchboard yet."),
                context("Ask an admin: `/switchboard link @you agent=<id> role=agent`"),
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
        target = f" {escape(event.target_type or '')} `{escape(event.target_id)}`" if event.target_id else ""
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
