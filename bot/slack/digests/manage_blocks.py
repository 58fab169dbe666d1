"""Blocks for managing digests: `digest list`, the digest modal, App Home's Digests section, and the
modal's submitted values read back into a `DigestSpec` (not the digest message itself: see blocks.py).

A builder module, not a listener: App Home imports `home_digests` from here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.db.models import DigestRun, DigestRunStatus
from bot.services.digest_admin import (
    FIELD_CHANNEL,
    FIELD_INBOX,
    FIELD_QUEUES,
    FIELD_SCHEDULE,
    FIELD_SECTIONS,
    FIELD_ZONE,
    PAUSED,
    SECTIONS,
    DigestInputError,
    DigestListing,
    DigestSpec,
    spec_from_fields,
)
from bot.services.digest_schedule import DAY_NAMES, WEEKDAYS, Every
from bot.slack.blocks import limits
from bot.slack.blocks.common import button, context, fit, header, message, section
from bot.slack.text import clip, escape, plural, when

VIEW_DIGEST = "digest_modal"
ACTION_DIGEST_ADD = "digest_add"  # App Home's "Add digest"

# Inputs of the modal: (block_id, action_id)
INPUT_CHANNEL = ("digest_channel", "channel")
INPUT_EVERY = ("digest_every", "every")
INPUT_DAY = ("digest_day", "day")
INPUT_TIME = ("digest_time", "time")
INPUT_ZONE = ("digest_zone", "zone")
INPUT_SECTIONS = ("digest_sections", "sections")
INPUT_INBOX = ("digest_inbox", "inbox")
INPUT_QUEUES = ("digest_queues", "queues")

# Where a DigestInputError shows in the modal (schedule problems are about the time: the kind and
# the day are picked from lists, and a weekly digest without its day is caught before).
FIELD_BLOCKS = {
    FIELD_CHANNEL: INPUT_CHANNEL[0],
    FIELD_SCHEDULE: INPUT_TIME[0],
    FIELD_ZONE: INPUT_ZONE[0],
    FIELD_SECTIONS: INPUT_SECTIONS[0],
    FIELD_INBOX: INPUT_INBOX[0],
    FIELD_QUEUES: INPUT_QUEUES[0],
}

SECTION_NAMES = {
    "sms": "SMS",
    "calls": "Calls",
    "threads": "Threads",
    "delivery": "Delivery",
}
EVERY_NAMES = {Every.DAY: "Daily", Every.WEEK: "Weekly", Every.HOUR: "Hourly"}
HOME_DIGESTS = 15  # App Home lists this many; `digest list` shows them all
ADD_EXAMPLE = "/switchboard digest add #channel daily 09:00 America/New_York"


# ----------------------------------------------------------------------------------- words


def scope_words(listing: DigestListing) -> str:
    parts = []
    if listing.inbox is not None:
        parts.append(f"inbox {escape(listing.inbox)}")
    if listing.queues is not None:
        parts.append("queues " + ", ".join(escape(q) for q in listing.queues))
    return "; ".join(parts) if parts else "the channel's mapping"


def run_words(run: DigestRun | None) -> str:
    """The latest run and its outcome: posted / failed with its error / skipped / late / run now."""
    if run is None:
        return "not run yet"
    extra = (" late" if run.late else "") + (" (run now)" if run.manual else "")
    at = when(run.finished_at or run.started_at or run.scheduled_for)
    if run.status is DigestRunStatus.POSTED:
        return f"posted{extra} {at}"
    if run.status is DigestRunStatus.FAILED:
        reason = f": {escape(clip(run.error, 200))}" if run.error else ""
        return f"failed{extra} {at}{reason}"
    if run.status is DigestRunStatus.SKIPPED:
        reason = run.error or "missed while Switchboard was down"
        why = "paused" if run.error == PAUSED else escape(clip(reason, 200))
        return f"skipped the one of {when(run.scheduled_for)} ({why})"
    if run.status is DigestRunStatus.RUNNING:
        return f"posting{extra} now (started {at})"
    return f"waiting to post the one of {when(run.scheduled_for)}{extra}"


def listing_text(listing: DigestListing) -> str:
    row = listing.subscription
    schedule = (
        escape(listing.schedule.describe())
        if listing.schedule is not None
        else f"unreadable schedule `{escape(clip(row.schedule, 40))}`"
    )
    sections = ", ".join(SECTION_NAMES.get(s, s) for s in listing.sections)
    state = "⏸ *paused*" if listing.paused else f"next {when(listing.next_run)}"
    return (
        f"*Digest {row.id}* · <#{row.channel_id}> · {schedule}\n"
        f"{sections} · scope: {scope_words(listing)}\n"
        f"{state} · last: {run_words(listing.last_run)}"
    )


def added_text(listing: DigestListing) -> str:
    row = listing.subscription
    schedule = escape(listing.schedule.describe()) if listing.schedule is not None else escape(row.schedule)
    sections = ", ".join(SECTION_NAMES.get(s, s) for s in listing.sections)
    return (
        f"Added digest *{row.id}*: {schedule} in <#{row.channel_id}> ({sections}; scope: "
        f"{scope_words(listing)}). First post {when(listing.next_run)}."
    )


def list_message(listings: Sequence[DigestListing]) -> dict[str, Any]:
    if not listings:
        return message([section(f"No digests yet. Add one with `{escape(ADD_EXAMPLE)}`.")], "No digests yet")
    blocks: list[Block] = [section(f"*Digests* ({len(listings)})")]
    blocks += [section(listing_text(listing)) for listing in listings]
    blocks.append(context("`/switchboard digest pause|resume|remove|run-now &lt;id&gt;` acts on one."))
    return message(fit(blocks), plural(len(listings), "digest"))


def home_digests(listings: Sequence[DigestListing]) -> list[Block]:
    """App Home's Digests section (admins): an "Add digest" button and the workspace's digests."""
    add = button("Add digest", ACTION_DIGEST_ADD, "home", style="primary")
    blocks: list[Block] = [
        header("Digests"),
        section("Scheduled digests, posted to channels.", accessory=add, block_id="home_digests"),
    ]
    shown = listings[:HOME_DIGESTS]
    blocks += [section(listing_text(listing)) for listing in shown]
    if not listings:
        blocks.append(context("_No digests yet._"))
    elif len(listings) > len(shown):
        more = f"The first {len(shown)} of {len(listings)}; `/switchboard digest list` shows all."
        blocks.append(context(more))
    return blocks


# ----------------------------------------------------------------------------------- modal


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label, limits.OPTION_TEXT), "value": value}


def _input(block: tuple[str, str], label: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block[0],
        "label": _plain(label, 100),
        "element": {"action_id": block[1], **element},
        **extra,
    }


def digest_modal(*, token: str, channel_id: str | None, zone: str) -> dict[str, Any]:
    """The digest modal (VIEW_DIGEST); `token` names its context kept on the server, `zone` is the
    person's Slack time zone (checked against the zone list by the caller)."""
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "default_to_current_conversation": True,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        "placeholder": _plain("Channel"),
    }
    if channel_id:
        channel["initial_conversation"] = channel_id
    every = [_option(e.value, EVERY_NAMES[e]) for e in (Every.DAY, Every.WEEK, Every.HOUR)]
    days = [_option(code, name) for code, name in zip(WEEKDAYS, DAY_NAMES, strict=True)]
    sections = [_option(s, SECTION_NAMES[s]) for s in SECTIONS]
    blocks = [
        _input(INPUT_CHANNEL, "Post in", channel),
        _input(INPUT_EVERY, "Every", {"type": "static_select", "options": every, "initial_option": every[0]}),
        _input(
            INPUT_DAY,
            "Day (weekly digests)",
            {"type": "static_select", "options": days, "initial_option": days[0]},
            optional=True,
        ),
        _input(
            INPUT_TIME,
            "At (hourly digests: its minutes)",
            {"type": "timepicker", "initial_time": "09:00"},
        ),
        _input(
            INPUT_ZONE,
            "Time zone",
            {
                "type": "plain_text_input",
                "initial_value": zone,
                "max_length": 64,
                "placeholder": _plain("America/New_York"),
            },
            hint=_plain("An IANA name such as America/New_York or Europe/London."),
        ),
        _input(
            INPUT_SECTIONS,
            "Sections",
            {"type": "checkboxes", "options": sections, "initial_options": sections},
        ),
        _input(
            INPUT_INBOX,
            "LiveVox inbox (service id)",
            {"type": "plain_text_input", "max_length": 32, "placeholder": _plain("The channel's mapping")},
            optional=True,
        ),
        _input(
            INPUT_QUEUES,
            "Zoom queues (ids, comma-separated)",
            {"type": "plain_text_input", "max_length": 1000, "placeholder": _plain("The channel's mapping")},
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": VIEW_DIGEST,
        "private_metadata": token[: limits.PRIVATE_METADATA],
        "title": _plain("Add a digest", limits.MODAL_TITLE),
        "submit": _plain("Add", limits.MODAL_BUTTON),
        "close": _plain("Cancel", limits.MODAL_BUTTON),
        "blocks": blocks,
    }


def _state(values: dict[str, Any], block: tuple[str, str]) -> dict[str, Any]:
    found = (values.get(block[0]) or {}).get(block[1]) or {}
    return found if isinstance(found, dict) else {}


def _picked(values: dict[str, Any], block: tuple[str, str]) -> str:
    option = _state(values, block).get("selected_option") or {}
    return str(option.get("value") or "") if isinstance(option, dict) else ""


def _typed(values: dict[str, Any], block: tuple[str, str]) -> str:
    return str(_state(values, block).get("value") or "")


def read_modal(view: dict[str, Any]) -> DigestSpec:
    """The submitted modal as a digest; DigestInputError names the field (`FIELD_BLOCKS` maps it).

    Everything is read as typed text and validated again here: the options the modal offered are not
    believed (a client may submit any value for a select)."""
    values: dict[str, Any] = (view.get("state") or {}).get("values") or {}
    channel = str(_state(values, INPUT_CHANNEL).get("selected_conversation") or "")
    every = _picked(values, INPUT_EVERY) or Every.DAY.value
    at = str(_state(values, INPUT_TIME).get("selected_time") or "")
    if every == Every.HOUR.value:
        words = ["hourly", ":" + at.partition(":")[2] if ":" in at else at]
    elif every == Every.WEEK.value:
        day = _picked(values, INPUT_DAY)
        if not day:
            raise DigestInputError("Choose the day a weekly digest posts.", "day")
        words = ["weekly", day, at]
    else:
        words = [every, at]
    options = _state(values, INPUT_SECTIONS).get("selected_options") or []
    sections = [str(o.get("value") or "") for o in options if isinstance(o, dict)]
    return spec_from_fields(
        channel,
        words,
        _typed(values, INPUT_ZONE),
        sections,
        inbox=_typed(values, INPUT_INBOX),
        queues=_typed(values, INPUT_QUEUES),
    )


def field_block(error: DigestInputError) -> str:
    return INPUT_DAY[0] if error.field == "day" else FIELD_BLOCKS.get(error.field, INPUT_CHANNEL[0])


__all__ = [
    "ACTION_DIGEST_ADD",
    "VIEW_DIGEST",
    "added_text",
    "digest_modal",
    "field_block",
    "home_digests",
    "list_message",
    "read_modal",
]
