"""Blocks for /switchboard: help, whoami, audit, channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.db.models import AuditEvent, ChannelMapping
from bot.services.access import AGENT_NUMBERS
from bot.services.identity import Identity
from bot.services.queues import QUEUES_NOTE
from bot.services.term_codes import TermCode, TermCodes
from bot.slack import ids
from bot.slack.activity import target_words
from bot.slack.alerts.blocks import stopped_fix
from bot.slack.blocks import limits
from bot.slack.blocks.common import actions, button, context, fit, header, message, section
from bot.slack.text import clip, escape, short_duration, when


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


LINK_HINT = "/switchboard link @you agent=<LiveVox agent id> role=agent"


def whoami_message(identity: Identity) -> dict[str, Any]:
    if not identity.linked:
        return message(
            [
                section(f"<@{identity.user_id}> is *not linked* to Switchboard yet."),
                # escaped: Slack would swallow `<LiveVox agent id>` as markup
                context(f"Ask an admin to run `{escape(LINK_HINT)}`."),
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


def _audit_target(event: AuditEvent) -> str:
    # People and channels as mentions, numbers as "a number ending in 0101" (bot/slack/activity.py).
    return f" → {target_words(event)}" if event.target_id else ""


def _audit_line(event: AuditEvent) -> str:
    flag = "" if event.outcome == "ok" else f" _({escape(event.outcome)})_"
    actor = f"<@{event.actor}>" if event.actor.startswith(("U", "W")) else f"`{escape(event.actor)}`"
    what = ""
    if event.action == "access.denied":  # what was attempted, as the refusal recorded it
        details = event.details or {}
        attempted = details.get("attempted") or details.get("what")
        if attempted:
            what = f" `{escape(clip(str(attempted), 120))}`"
        if details.get("reason"):
            what += f" ({escape(clip(str(details['reason']), 80))})"
    return f"{when(event.created_at)} · {actor} · *{escape(event.action)}*{what}{_audit_target(event)}{flag}"


def audit_message(
    events: Sequence[AuditEvent],
    *,
    title: str,
    older: str | None = None,
    newer: str | None = None,
    first: bool = True,
) -> dict[str, Any]:
    """A page of the trail; `older` / `newer` are the paging buttons' values (None: no such page)."""
    if not events:
        empty = "Nothing recorded yet." if first else "No more events."
        return message([section(f"*{title}*\n{empty}")], title)
    blocks: list[Any] = [section(f"*{title}* (newest first)")]
    chunk: list[str] = []
    for line in map(_audit_line, events):  # sections of up to ~2900 characters, nothing cut mid-line
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    buttons = []
    if newer is not None:
        buttons.append(button("← Newer", ids.ACTION_AUDIT_NEWER, newer))
    if older is not None:
        buttons.append(button("Older →", ids.ACTION_AUDIT_OLDER, older))
    blocks = fit(blocks, limits.MESSAGE_BLOCKS - 1)
    if buttons:
        blocks.append(actions(*buttons, block_id="audit_pages"))
    return message(blocks, title)


CHANNEL_SET_USAGE = (
    "/switchboard channel set inbox=<LiveVox service id> queues=<Zoom queue name or id,…> sender=<sms code> "
    "alerts=on|off every=<30s> nudge=<10m|off> escalate=<30m|off> oncall=<@user-group> "
    "supervisor=<@user> hours=<mon-fri,08:00-18:00,America/New_York|always>"
)


def channel_message(
    channel_id: str,
    mapping: ChannelMapping | None,
    *,
    note: str = "",
    queue_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A channel's mapping (or that it has none), with how to change it; queues by name where Zoom's logs
    name them (`queue_names`, id → name), by id otherwise."""
    title = f"Channel <#{channel_id}>"
    if mapping is None:
        blocks: list[Any] = [
            section(f"{note}*{title}* is not mapped to any inbox, queue or sender yet."),
            context(f"Map it: `{escape(CHANNEL_SET_USAGE)}`."),
        ]
        return message(blocks, f"{channel_id} is not mapped")
    names = queue_names or {}
    queues = (
        ", ".join(
            f"{escape(names[q])} (`{escape(q)}`)" if q in names else f"`{escape(q)}`"
            for q in mapping.zoom_queue_ids or []
        )
        or "–"
    )
    inbox = f"`{escape(mapping.livevox_service_id)}`" if mapping.livevox_service_id else "–"
    if mapping.livevox_inbox:
        inbox += f" ({escape(mapping.livevox_inbox)})"
    sender = f"`{escape(mapping.sms_sender_code)}`" if mapping.sms_sender_code else "–"
    alerts = (
        f"on, every {short_duration(mapping.alerts_interval_seconds)}" if mapping.alerts_enabled else "off"
    )
    if not mapping.alerts_enabled and mapping.alerts_stopped:  # Slack refused the cards: say why, and the fix
        since = f" {when(mapping.alerts_stopped_at)}" if mapping.alerts_stopped_at else ""
        alerts = f"off: Switchboard stopped them{since}, {escape(mapping.alerts_stopped)}. " + stopped_fix(
            mapping.alerts_stopped
        )
    fields = [
        f"*LiveVox inbox (service)*\n{inbox}",
        f"*Zoom queues*\n{queues}",
        f"*SMS sender*\n{sender}",
        f"*Alerts*\n{alerts}",
        f"*Reminders*\n{reminders_text(mapping)}",
    ]
    blocks = [
        section(f"{note}*{title}* is mapped to:", fields=fields),
        context(
            f"Change it: `{escape(CHANNEL_SET_USAGE)}`; remove it: `/switchboard channel clear`. "
            + QUEUES_NOTE
        ),
    ]
    return message(blocks, f"Channel mapping of {channel_id}")


def reminders_text(mapping: ChannelMapping) -> str:
    """`nudge after 10m (@group) · escalate after 30m (@sup) · mon–fri 08:00–18:00 America/New_York`."""
    parts = []
    if mapping.nudge_seconds:
        parts.append(
            f"nudge after {short_duration(mapping.nudge_seconds)} ({mapping.on_duty or 'the holder only'})"
        )
    if mapping.escalate_seconds:
        parts.append(
            f"escalate after {short_duration(mapping.escalate_seconds)} "
            f"({mapping.supervisor or 'nobody set'})"
        )
    if not parts:
        return "off"
    hours = mapping.working_hours
    if hours:
        days = hours.get("days")
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        span = f"{names[days[0]]}–{names[days[-1]]} " if days else ""
        parts.append(f"{span}{hours['start']}–{hours['end']} {escape(hours['tz'])}")
    else:
        parts.append("at any hour")
    return " · ".join(parts)


def _code_lines(codes: Sequence[TermCode]) -> str:
    return "\n".join(f"• `{c.id}` {escape(c.name)}" for c in codes)


def term_codes_message(codes: TermCodes, channel_id: str | None, *, note: str = "") -> dict[str, Any]:
    """The term codes a Resolve form offers: the workspace's, and the channel's own where it has them."""
    if codes.team is None:
        team = "_No LiveVox connection is stored to keep the workspace's term codes on._"
    else:
        team = _code_lines(codes.team) or "_None yet._"
    blocks: list[Any] = [section(f"{note}*Term codes of this workspace*\n{team}")]
    if channel_id:
        own = _code_lines(codes.channel) if codes.channel else "_None: it offers the workspace's._"
        blocks.append(section(f"*Term codes of <#{channel_id}>* (they replace the workspace's there)\n{own}"))
    blocks.append(
        context(
            "The Resolve form offers these (a term code is optional); with none configured it takes any "
            "term code id. Change them: `/switchboard termcodes add 1001 Paid in full [#channel]` · "
            "`/switchboard termcodes remove 1001 [#channel]`."
        )
    )
    return message(fit(blocks), "Term codes")
