"""The App Home tab and its "My threads" modal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block

from bot.services.digest_admin import DigestListing
from bot.services.identity import Identity
from bot.services.inbox import Activity, InboxOverview, ThreadList
from bot.slack import ids
from bot.slack.activity import event_words, status_words
from bot.slack.blocks import limits
from bot.slack.blocks.common import actions, button, context, divider, fit, header, section, to_dicts
from bot.slack.commands import NOT_LINKED
from bot.slack.digests.manage_blocks import home_digests
from bot.slack.text import clip, escape, pretty_number, when
from bot.slack.threads.blocks import MODAL_THREADS, card_text, channel_lines, count_fields, team_sections

# ids.ACTION_HOME_SEND (with a number as value) belongs to the lookup card and the SMS feature; the Home
# tab's blank "Send SMS" has its own id so that the two handlers never compete.
ACTION_HOME_SEND_BLANK = "home_send_sms_blank"
SMS_BODY_CHARS = 80


def _who(identity: Identity) -> list[Block]:
    if not identity.linked:
        return [section(f"<@{identity.user_id}>, you are *not linked* to Switchboard yet.\n{NOT_LINKED}")]
    assert identity.role is not None
    agent = escape(identity.livevox_agent_id or "–") + (
        f" ({escape(identity.livevox_login)})" if identity.livevox_login else " (no login)"
    )
    fields = [
        f"*Role*\n{identity.role.value}",
        f"*LiveVox agent*\n{agent}",
        f"*Zoom user*\n{escape(identity.zoom_user_id or '–')}",
    ]
    return [section(f"<@{identity.user_id}>, you are linked as:", fields=fields)]


def _buttons(identity: Identity) -> Block:
    buttons = [button("Refresh", ids.ACTION_HOME_REFRESH, "refresh")]
    if identity.linked:
        buttons += [
            button("Send SMS", ACTION_HOME_SEND_BLANK, "blank", style="primary"),
            button("My threads", ids.ACTION_HOME_THREADS, "threads"),
        ]
    return actions(*buttons, block_id="home_buttons")


def _activity(activity: Activity, viewer: str) -> list[Block]:
    # In words ("You texted a number ending in 0101; …"), not event codes: bot/slack/activity.py.
    lines = [f"• {when(event.created_at)} · {event_words(event, viewer=viewer)}" for event in activity.events]
    sms = []
    for row in activity.sms:
        body = escape(clip((row.body or "").replace("\n", " "), SMS_BODY_CHARS)) if row.body else "_template_"
        sms.append(
            f"• {when(row.created_at)} · to {escape(pretty_number(row.to_number))} · "
            f"{escape(status_words(row.status, row.status_reason))} · {body}"
        )
    return [
        section("*Recent activity*\n" + ("\n".join(lines) or "_Nothing yet._")),
        section("*SMS you sent*\n" + ("\n".join(sms) or "_None yet._")),
    ]


def home_view(
    identity: Identity,
    *,
    overview: InboxOverview | None = None,
    problem: str | None = None,
    activity: Activity | None = None,
    loading: bool = False,
    now: datetime | None = None,
    digests: Sequence[DigestListing] | None = None,
    waiting: Sequence[Block] | None = None,
    scheduled: Sequence[Block] | None = None,
) -> dict[str, Any]:
    """The Home tab: who you are, your inbox (or why it is missing), recent activity, quick buttons, and
    for admins the workspace's digests (`digests`, None: not shown)."""
    blocks: list[Block] = [header("Switchboard"), *_who(identity), _buttons(identity)]
    if identity.linked:
        blocks += [divider(), header("Your inbox")]
        if loading:
            blocks.append(context("Loading your inbox… ⏳"))
        elif problem:
            blocks.append(section(f"⚠️ {problem}"))
        elif overview is not None:
            blocks.append(section("*Personal SMS inbox*", fields=count_fields(overview)))
            blocks.append(section("*Your inboxes*\n" + channel_lines(overview.channels)))
            blocks.extend(team_sections(overview))
        if waiting:
            blocks.extend(waiting)
        if scheduled:  # the person's SMS to send later, each with Cancel
            blocks.extend(scheduled)
        if activity is not None:
            blocks += [divider(), *_activity(activity, identity.user_id)]
        if digests is not None:
            blocks += [divider(), *home_digests(digests)]
    if not loading:
        blocks.append(context(f"Updated {when(now or datetime.now(UTC))}"))
    return {"type": "home", "callback_id": "home", "blocks": to_dicts(fit(blocks, limits.VIEW_BLOCKS))}


def my_threads_modal(
    result: ThreadList | None = None,
    *,
    problem: str | None = None,
    loading: bool = False,
    title: str = "My threads",
) -> dict[str, Any]:
    """Read-only: the cards' buttons live in `/threads`, where the card can be updated in place."""
    blocks: list[Block] = []
    if loading:
        blocks.append(context("Fetching your threads… ⏳"))
    elif problem:
        blocks.append(section(f"⚠️ {problem}"))
    elif result is not None:
        total = len(result.cards)
        shown = result.cards[:MODAL_THREADS]
        blocks.append(context(f"{total} open, newest first · work them with `/threads`"))
        for card in shown:
            blocks += [section(card_text(card)), divider()]
        if not shown:
            blocks.append(section("_No open SMS threads in your inboxes._"))
        if total > len(shown) or result.truncated:
            blocks.append(
                context(f"The newest {len(shown)} of {total} are shown; `/threads` pages through all.")
            )
    return {
        "type": "modal",
        "callback_id": "home_threads_modal",
        "title": {"type": "plain_text", "text": clip(title, limits.MODAL_TITLE)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": to_dicts(fit(blocks, limits.VIEW_BLOCKS)),
    }
