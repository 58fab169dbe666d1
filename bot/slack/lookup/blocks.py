"""Blocks for a number's history (/lookup, /sms logs) and call logs (/calls)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.providers.livevox import words as livevox_words
from bot.providers.routee import words as routee_words
from bot.providers.zoom import words as zoom_words
from bot.services.calls import PAGE_SIZE, CallPage, CallRecord
from bot.services.history import LIVEVOX, ROUTEE, ZOOM_PHONE, Event, NumberReport, SourceResult
from bot.slack import ids
from bot.slack.blocks import limits
from bot.slack.blocks.common import actions, button, context, fit, header, message, section
from bot.slack.blocks.compliance import flags_text
from bot.slack.text import clip, duration, escape, plural, pretty_number, when

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")
EVENTS_SHOWN = 30
BODY_CHARS = 240


def call_summary(call: CallRecord) -> str:
    """A call's facts in a line: "answered · queue Billing · agent Sam Kim · 25m 40s · recorded"."""
    parts = [zoom_words.call_result(call.result, call.direction) or "call"]
    parts += [f"queue {call.queue}"] if call.queue else []
    parts += [f"agent {call.agent}"] if call.agent else []
    parts += [duration(call.duration_s)] if call.duration_s is not None else []
    parts += ["recorded"] if call.recorded else []
    return " · ".join(parts)


def sms_status(event: Event) -> str | None:
    """An SMS event's status in words, by the vocabulary of the provider that reported it."""
    if event.provider == LIVEVOX:
        return livevox_words.message_status(event.status)
    if event.provider == ZOOM_PHONE:
        return zoom_words.phone_delivery(event.status)
    if event.provider == ROUTEE:
        return routee_words.tracking_status(event.status)
    return event.status


def _raw_terms(events: list[Event]) -> str | None:
    """The providers' own words for what the lines say in plain words (`SMS MT Delivered`, `short_calls`),
    once each: what to search for in the provider's screens or its support."""
    terms: dict[str, str] = {}
    for event in events:
        if event.kind == "sms" and event.status:
            words = sms_status(event)
        elif event.call is not None and event.call.result:
            words = zoom_words.call_result(event.call.result, event.call.direction)
        else:
            continue
        raw = event.call.result if event.call is not None and event.call.result else event.status
        if raw and words and words.lower() != raw.lower():
            terms.setdefault(raw, words)
    if not terms:
        return None
    shown = list(terms.items())[:12]
    listed = ", ".join(f"`{escape(clip(raw, 60))}` = {escape(words)}" for raw, words in shown)
    return f"As the providers say it: {listed}"


def _source(result: SourceResult) -> str:
    if result.state == "ok":
        return f"✓ {escape(result.provider)} ({result.count})"
    if result.state == "not_connected":
        return f"– {escape(result.provider)}: not connected"
    if result.state == "skipped":
        return f"– {escape(result.provider)}: {escape(result.message)}"
    # The failure's sentence names its provider already ("Zoom Contact Center SMS is rate-limiting…"):
    # no "Zoom Contact Center SMS: Zoom Contact Center SMS is…".
    if result.message.startswith(result.provider):
        return f"⚠️ {escape(result.message)}"
    return f"⚠️ {escape(result.provider)}: {escape(result.message)}"


def compliance_line(report: NumberReport) -> str | None:
    return flags_text(report.compliance)


def share_cursor(
    kind: str, number: str, range_text: str | None, offset: int | None = None, page_id: str = ""
) -> str:
    """What the Share button carries: Slack does not send an ephemeral message back on a click, so the
    result is rendered again for the channel from this (see bot/slack/lookup/actions.py). `page_id` tells
    one rendering of a message from the next (a /calls page after *More*), so a double click is told from
    a share of the page shown now."""
    cursor: dict[str, Any] = {"k": kind, "n": number, "r": range_text or ""}
    if offset is not None:
        cursor["o"] = offset
    if page_id:
        cursor["p"] = page_id
    return json.dumps(cursor)


def report_message(
    report: NumberReport,
    *,
    title: str,
    kind: str = "lookup",
    range_text: str | None = None,
    shared_by: str | None = None,
) -> dict[str, Any]:
    number = pretty_number(report.number)
    blocks: list[Any] = [header(f"{title}: {number}")]
    blocks.append(context(f"{report.range.label()} · {plural(len(report.events), 'event')} · newest first"))
    flags = compliance_line(report)
    if flags:
        blocks.append(section(flags))
    if report.threads:
        threads = ", ".join(
            f"`{escape(t.thread_id)}` ({escape(t.inbox or 'inbox')}{', unread' if t.read is False else ''})"
            for t in report.threads[:10]
        )
        blocks.append(section(f"*Open LiveVox threads:* {threads}"))
    lines = []
    for event in report.events[:EVENTS_SHOWN]:
        arrow = {"inbound": "⬅️ in", "outbound": "➡️ out"}.get(event.direction or "", "")
        what = "call" if event.kind == "call" else "SMS"
        words = sms_status(event) if event.kind == "sms" else None
        status = f" · {escape(words)}" if words else ""
        summary = call_summary(event.call) if event.call is not None else event.summary
        # A Zoom Phone message type of "SMS" says SMS again: shown only when it adds something (MMS…).
        facts = f" · {escape(summary)}" if summary and summary != what else ""
        line = f"{when(event.at)} · *{escape(event.provider)}* {what} {arrow}{status}{facts}"
        if event.sent_by and SLACK_USER.match(event.sent_by):
            line += f" · sent by <@{event.sent_by}>"
        if event.text:
            line += f"\n>{escape(clip(event.text.replace(chr(10), ' '), BODY_CHARS))}"
        lines.append(line)
    if not lines:
        blocks.append(section("_Nothing found for this number in that range._"))
    chunk: list[str] = []
    for line in lines:  # whole lines per section, never cut mid-event
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > limits.SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(report.events) > EVENTS_SHOWN:
        blocks.append(
            context(
                f"…and {plural(len(report.events) - EVENTS_SHOWN, 'older event')}; "
                "narrow the range to see them."
            )
        )
    raw = _raw_terms(report.events[:EVENTS_SHOWN])
    if raw:
        blocks.append(context(raw))
    blocks.append(context(" · ".join(_source(s) for s in report.sources)))
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}>"))
    else:
        blocks.append(
            actions(
                button("Share in channel", ids.ACTION_SHARE, share_cursor(kind, report.number, range_text)),
                button("Text this number", ids.ACTION_HOME_SEND, report.number),
            )
        )
    return message(fit(blocks), f"{title} for {number}")


def calls_message(
    page: CallPage,
    number: str,
    range_text: str,
    *,
    range_label: str,
    shared_by: str | None = None,
    page_id: str = "",
) -> dict[str, Any]:
    """A page of calls, saying its range; *Previous* and *More* page through them (replacing the page in
    place), *Share in channel* posts the page shown. `page_id` is new for every rendering (see
    `share_cursor`)."""
    pretty = pretty_number(number)
    blocks: list[Any] = [header(f"Calls: {pretty}"), context(f"{escape(range_label)} · newest first")]
    if not page.calls:
        blocks.append(section(f"_No voice calls for this number in the {escape(range_label)}._"))
    for call in page.calls:
        arrow = {"inbound": "⬅️ inbound", "outbound": "➡️ outbound"}.get(
            call.direction or "", call.direction or ""
        )
        blocks.append(section(f"{when(call.at)} · {escape(arrow)} · {escape(call_summary(call))}"))
    shown_to = page.offset + len(page.calls)
    blocks.append(
        context(
            f"Calls {page.offset + 1 if page.calls else 0}–{shown_to} of {page.total}"
            + (" (first 500)" if page.truncated else "")
        )
    )
    buttons = []
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}>"))
    else:
        if page.offset > 0:
            previous = max(page.offset - PAGE_SIZE, 0)
            back = json.dumps({"n": number, "r": range_text, "o": previous, "p": page_id})
            buttons.append(button("Previous", ids.ACTION_CALLS_PREVIOUS, back))
        if page.has_more:
            cursor = json.dumps({"n": number, "r": range_text, "o": shown_to, "p": page_id})
            buttons.append(button("More", ids.ACTION_CALLS_MORE, cursor))
        buttons.append(
            button(
                "Share in channel",
                ids.ACTION_SHARE,
                share_cursor("calls", number, range_text, page.offset, page_id),
            )
        )
    if buttons:
        blocks.append(actions(*buttons))
    return message(fit(blocks), f"Calls for {pretty} ({range_label})")
