"""An inbound conversation's card in a channel, its summary card, and what goes into the card's thread.

A card is drawn from the server's own row (`inbox_threads`: what it showed of the conversation when it
arrived, where it is now, who has it), so it can be drawn again whenever that changes, from Slack or in
LiveVox. Its buttons are the /threads card buttons (the same listeners, the same checks), with the row's
id in their signed value so a change redraws this card in every channel rather than a person's list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block

from bot.db.models import InboxThread
from bot.services.alerts import Reminder, Waiting, compliance_of
from bot.services.inbox import HistoryEntry
from bot.slack import ids
from bot.slack.blocks.common import actions, button, context, message, section
from bot.slack.blocks.compliance import flags_text
from bot.slack.text import ago, clip, duration, escape, pretty_number, when
from bot.slack.threads.blocks import ListState, ThreadRef

TEXT_CHARS = 500  # the last message on the card; the whole conversation is in History
REPLY_CHARS = 2500  # one message in the card's thread

STATE_LINES = {
    "waiting": "🔵 *Waiting* in the group inbox",
    "taken": "🙋 *Taken*",
    "resolved": "✅ *Resolved*",
    "left": "⚪ *Gone from the group inbox*",
}


def _ref(row: InboxThread) -> ThreadRef:
    snapshot = row.snapshot or {}
    personal = row.state == "taken"
    return ThreadRef(
        thread_id=row.thread_id,
        channel_id=row.inbox,
        personal=personal,
        account=(snapshot.get("account") or None),
        number=row.number,
        state=ListState(),
        nonce=f"{row.state}:{row.holder_user or ''}",  # a click on a card as it was drawn is done once
        alert=row.id,
    )


def contact_line(row: InboxThread) -> str:
    snapshot = row.snapshot or {}
    name = escape(snapshot["name"]) if snapshot.get("name") else "_Unknown contact_"
    number = escape(pretty_number(row.number)) if row.number else "no number"
    return f"*{name}* · {number}"


def card_message(row: InboxThread) -> dict[str, Any]:
    """The card of one conversation, as it is now."""
    snapshot = row.snapshot or {}
    inbox = escape(snapshot.get("inbox") or f"inbox {row.inbox}")
    text = snapshot.get("text")
    quoted = ">" + escape(clip(str(text), TEXT_CHARS)).replace("\n", "\n>") if text else "_(no text)_"
    lines = [contact_line(row), quoted]
    facts = [STATE_LINES.get(row.state, escape(row.state))]
    if row.waiting_since is not None and row.state in ("waiting", "taken"):
        facts.append(f"⏳ waiting for an answer to a message from {ago(row.waiting_since)}")
    elif row.last_message_at is not None:
        facts.append(f"last message {when(row.last_message_at)}")
    if row.read is not None:
        facts.append("read" if row.read else "unread")
    blocks: list[Block] = [
        section(f"📨 *New SMS conversation* · {inbox}", block_id=f"alert:{row.id}"),
        section("\n".join(lines)),
    ]
    flags = flags_text(compliance_of(snapshot))
    notes = [" · ".join(facts)]
    if flags:
        notes.append(flags)
    if row.status_note:
        notes.append(row.status_note)
    blocks.append(context(*notes))
    buttons = _buttons(row)
    if buttons:
        blocks.append(actions(*buttons, block_id=f"alert_actions:{row.id}"))
    who = f"{snapshot.get('name') or ''} {pretty_number(row.number) if row.number else ''}".strip()
    return message(blocks, f"New SMS conversation from {escape(who) or 'a customer'}")


def _buttons(row: InboxThread) -> list[Any]:
    value = _ref(row).to_value()
    history = button("History", ids.ACTION_THREAD_HISTORY, value)
    if row.state == "waiting":
        return [
            button("Take", ids.ACTION_THREAD_TAKE, value, style="primary"),
            button("Transfer…", ids.ACTION_THREAD_TRANSFER, value),
            button("Resolve…", ids.ACTION_THREAD_RESOLVE, value),
            button("Reply…", ids.ACTION_THREAD_REPLY, value),
            history,
        ]
    if row.state == "taken":
        return [
            button("Transfer…", ids.ACTION_THREAD_TRANSFER, value),
            button("Resolve…", ids.ACTION_THREAD_RESOLVE, value),
            button("Reply…", ids.ACTION_THREAD_REPLY, value),
            history,
        ]
    return []  # resolved, or out of our sight: the Slack thread is the record


def summary_message(count: int, inbox_name: str) -> dict[str, Any]:
    text = (
        f"📨 *{count} threads were already waiting* in {escape(inbox_name)} when alerts started here. "
        "New conversations from now on get a card each; work these with `/threads group`."
    )
    return message([section(text)], f"{count} threads were already waiting")


def reply_message(entry: HistoryEntry, sender: str | None) -> dict[str, Any]:
    """One message of the conversation in the card's thread. `sender`: who sent an outbound one through
    Switchboard (a Slack user id), when the outbox knows."""
    body = escape(clip(entry.text, REPLY_CHARS)).replace("\n", "\n>") if entry.text else "_(no text)_"
    if entry.inbound:
        who = "⬅️ *Customer*"
    elif sender:
        who = f"➡️ <@{sender}> via Switchboard"
    else:
        who = "➡️ *Agent* (in LiveVox)"
    # The notification text is read as mrkdwn too: the customer's "<!channel>" must stay text there.
    fallback = f"{'Customer' if entry.inbound else 'Reply'}: {escape(clip(entry.text, 100))}"
    return message([section(f"{who} · {when(entry.at)}\n>{body}")], fallback)


def waiting_blocks(items: Sequence[Waiting], total: int, *, now: datetime) -> list[Block]:
    """ "Waiting for an answer": the oldest conversations first, with their wait (App Home, /inbox)."""
    if not total:
        return [section("*Waiting for an answer*\n_Nobody is waiting in the inboxes with alerts._")]
    lines = []
    for item in items:
        who = escape(pretty_number(item.number)) if item.number else "no number"
        if item.name:
            who = f"{escape(item.name)} · {who}"
        waited = duration(max(0.0, (now - item.waiting_since).total_seconds()))
        holder = f"<@{item.holder_user}>" if item.holder_user else "group inbox"
        where = f" · <#{item.channel_id}>" if item.channel_id else ""
        lines.append(f"• *{waited}* · {who} · {holder}{where}")
    more = f"\n…and {total - len(items)} more." if total > len(items) else ""
    return [section("*Waiting for an answer* (oldest first)\n" + "\n".join(lines) + more)]


def reminder_message(reminder: Reminder, *, now: datetime) -> dict[str, Any]:
    waited = duration(max(0.0, (now - reminder.waiting_since).total_seconds()))
    mention = reminder.mention or "Nobody is on duty for this channel (set `oncall=` / `supervisor=`)"
    if reminder.escalate:
        text = f"🚨 {mention}: the customer has waited *{waited}* for an answer."
    else:
        text = f"⏰ {mention}: the customer has waited {waited} for an answer."
    return message([section(text)], f"The customer has waited {waited}")


# Why Switchboard turned a channel's alerts off (`ChannelMapping.alerts_stopped`), by Slack's refusal.
STOPPED_NOT_IN_CHANNEL = "Switchboard is not in that channel any more"
STOPPED_ARCHIVED = "that channel is archived"


def stopped_fix(reason: str) -> str:
    """What to do about alerts Switchboard stopped because of `reason` (a `STOPPED_…`)."""
    if reason == STOPPED_ARCHIVED:
        return (
            "Unarchive it and turn them on again with `/switchboard channel set alerts=on`, "
            "or turn them on in another channel."
        )
    return (
        "Invite it back by typing `/invite @Switchboard` in the channel, then turn them on again with "
        "`/switchboard channel set alerts=on`."
    )


def stopped_message(channel_id: str, reason: str) -> dict[str, Any]:
    """The DM to whoever turned a channel's alerts on, when Switchboard had to turn them off."""
    text = f"⚠️ Alerts in <#{channel_id}> are off: {reason}, so Slack refused their cards. " + stopped_fix(
        reason
    )
    return message([section(text)], f"Alerts in {channel_id} are off: {reason}")
