"""How a digest reads in Slack: a header, a few headline numbers with their change, then one short section per
requested section, and the volume as Slack's native chart.

Written for a phone: numbers people compare sit in section `fields` (two columns on every client), prose is
one line, and nothing grows with the volume (top 5 lists, failures capped, inboxes capped), so the message
stays inside Block Kit's limits however busy the day was. Everything that comes from outside (queue, agent,
inbox names, provider reasons) is escaped.

The `data_visualization` block (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block):
the docs corpus gives the block's own fields (type, title ≤ 50 characters, chart: pie | bar | area | line,
block_id) and, for bar/area/line, `series` (1–6) plus a required `axis_config`; pie takes `segments` (1–6).
The sub-objects' field names and limits were read from a third-party transcription of the same reference
(the `slack-messaging` crate, which cites the page's #data-series / #axis-config anchors) and are the
inferred part: a series is {name ≤ 20, data: 1–20 points {label, value}}, axis_config is {categories (each
≤ 20 characters; the points' labels must be among them), x_label ≤ 50, y_label ≤ 50}, a segment is
{label ≤ 20, value}. At most two such blocks per message (issue 10's reading of the reference).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from slack_sdk.models.blocks import Block

from bot.services.digest_content import (
    Bucket,
    CallTally,
    DeliveryTally,
    DigestData,
    OldestThread,
    Section,
    SmsTally,
    ThreadTally,
)
from bot.services.digest_schedule import Every, Schedule, parse_schedule
from bot.slack import ids
from bot.slack.blocks import limits
from bot.slack.blocks.common import button, context, divider, fit, header, section, to_dicts
from bot.slack.text import clean, clip, duration, escape, plural, when
from bot.slack.threads.blocks import ThreadRef

__all__ = [
    "CHART_POINTS",
    "SECTIONS",
    "chart_block",
    "chart_title",
    "digest_message",
    "failure_note",
    "oldest_thread_button",
    "skipped_note",
]

SECTIONS = ("sms", "calls", "delivery", "threads")
TOP = 5  # queues and agents listed per section
INBOXES_LISTED = 10  # one field each: a section's 10 fields
FAILURES_LISTED = 10
NAME_CHARS = 60  # a queue, agent or inbox name in a list line
REASON_CHARS = 120

# Slack's data_visualization limits (see the module docstring for which were inferred).
CHART_TITLE = 50
CHART_LABEL = 20
CHART_SERIES_NAME = 20
CHART_POINTS = 20  # data points per series: 24 hourly buckets are merged two by two
CHART_AXIS_LABEL = 50

T = TypeVar("T")


# ------------------------------------------------------------------------------------------ numbers
def _count(number: int) -> str:
    return f"{number:,}"


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%" if rate >= 0.1 or rate == 0 else f"{rate * 100:.1f}%"


def change(now: float | None, before: float | None) -> str:
    """The change from the previous period in %, ▲ up, ▼ down; `—` when there is nothing to compare with
    (no previous period, or it was zero: a rise from nothing has no percentage)."""
    if now is None or before is None or before == 0:
        return "—"
    delta = (now - before) / before * 100
    if round(delta) == 0:
        return "= 0%"
    return f"{'▲' if delta > 0 else '▼'} {abs(delta):.0f}%"


def change_points(now: float | None, before: float | None) -> str:
    """The change of a rate, in percentage points (a rate's relative change reads wrong: 2% → 3% is not
    "▲ 50%" to a supervisor)."""
    if now is None or before is None:
        return "—"
    delta = (now - before) * 100
    if round(delta, 1) == 0:
        return "= 0 pts"
    return f"{'▲' if delta > 0 else '▼'} {abs(delta):.1f} pts"


def _field(label: str, value: str, trend: str | None = None) -> str:
    """One cell of a compact table: a bold label over the value (and its change)."""
    return f"*{label}*\n{value}" + (f"  {trend}" if trend else "")


def _previous(section: Section[T], read: Callable[[T], float | None]) -> float | None:
    return read(section.previous) if section.previous is not None else None


def _delivered_rate(tally: DeliveryTally) -> float | None:
    total = sum(tally.statuses.values())
    return tally.statuses["delivered"] / total if total else None


def _top(counter: Counter[str], limit: int = TOP) -> str:
    if not counter:
        return "_none_"
    return "\n".join(
        f"{rank}. {escape(clip(clean(name), NAME_CHARS))}: {_count(count)}"
        for rank, (name, count) in enumerate(counter.most_common(limit), start=1)
    )


# ------------------------------------------------------------------------------------------ headline
def _headline(data: DigestData, sections: Sequence[str]) -> list[str]:
    """3–6 numbers a lead reads first, each with its change: one or two per requested section, and when
    only one or two sections are asked for, their next numbers too (towards three)."""
    first: list[str] = []
    more: list[str] = []
    sms, calls, delivery, threads = data.sms, data.calls, data.delivery, data.threads
    if "sms" in sections and sms.current is not None:
        now = sms.current
        first.append(
            _field(
                "SMS in / out",
                f"{_count(now.inbound)} / {_count(now.outbound)}",
                change(now.total, _previous(sms, lambda t: t.total)),
            )
        )
        reply = now.average_first_response_seconds
        more.append(
            _field(
                "First response",
                duration(reply),
                change(reply, _previous(sms, lambda t: t.average_first_response_seconds)),
            )
        )
    if "calls" in sections and calls.current is not None:
        c = calls.current
        first.append(_field("Calls", _count(c.total), change(c.total, _previous(calls, lambda t: t.total))))
        first.append(
            _field(
                "Abandoned",
                _percent(c.abandoned_rate),
                change_points(c.abandoned_rate, _previous(calls, lambda t: t.abandoned_rate)),
            )
        )
        wait = c.average_wait_seconds
        more.append(
            _field(
                "Avg wait", duration(wait), change(wait, _previous(calls, lambda t: t.average_wait_seconds))
            )
        )
    if "delivery" in sections and delivery.current is not None:
        rate = _delivered_rate(delivery.current)
        first.append(
            _field("Delivered", _percent(rate), change_points(rate, _previous(delivery, _delivered_rate)))
        )
        more.append(_field("Not delivered", _count(delivery.current.failures_total)))
    if "threads" in sections and threads.current is not None:
        inboxes = threads.current.inboxes
        first.append(_field("Unread threads", _count(sum(i.unread for i in inboxes))))
        more.append(_field("Active threads", _count(sum(i.active for i in inboxes))))
    return (first + more[: max(0, 3 - len(first))])[:6]


# ------------------------------------------------------------------------------------------ sections
def _unavailable(title: str, part: Section[Any]) -> list[Block]:
    """A section that could not be read says so in one line; one not connected is one short line."""
    if part.error:
        return [section(f"*{title}*: ⚠️ {escape(part.error)}")]
    return [context(f"{title}: not connected.")]


def _sms(data: Section[SmsTally]) -> list[Block]:
    now, before = data.current, data.previous
    assert now is not None
    first = now.average_first_response_seconds
    cells = [
        _field("In", _count(now.inbound), change(now.inbound, before.inbound if before else None)),
        _field("Out", _count(now.outbound), change(now.outbound, before.outbound if before else None)),
        _field(
            "Avg first response",
            duration(first) if first is not None else "–",
            change(first, before.average_first_response_seconds if before else None),
        ),
    ]
    if now.sources:
        sources = " · ".join(
            f"{escape(clip(clean(name), NAME_CHARS))} {_count(n)}" for name, n in now.sources.most_common(TOP)
        )
        cells.append(_field("By source", sources))
    return [
        section("*SMS*", fields=cells),
        section("", fields=[_field("Top queues", _top(now.queues)), _field("Top agents", _top(now.agents))]),
    ]


_OUTCOMES = ("answered", "abandoned", "missed", "voicemail", "short")


def _calls(data: Section[CallTally]) -> list[Block]:
    now, before = data.current, data.previous
    assert now is not None

    def was(outcome: str) -> int | None:
        return before.outcomes[outcome] if before is not None else None

    cells = [
        _field("Total", _count(now.total), change(now.total, before.total if before else None)),
        _field(
            "Abandoned rate",
            _percent(now.abandoned_rate),
            change_points(now.abandoned_rate, before.abandoned_rate if before else None),
        ),
        _field(
            "Avg talk",
            duration(now.average_handled_seconds),
            change(now.average_handled_seconds, before.average_handled_seconds if before else None),
        ),
        _field(
            "Avg wait",
            duration(now.average_wait_seconds),
            change(now.average_wait_seconds, before.average_wait_seconds if before else None),
        ),
    ]
    outcomes = [
        _field(o.capitalize(), _count(now.outcomes[o]), change(now.outcomes[o], was(o))) for o in _OUTCOMES
    ]
    other = now.outcomes["other"]
    if other:
        outcomes.append(_field("Other", _count(other), change(other, was("other"))))
    return [
        section("*Calls*", fields=cells),
        section("", fields=outcomes),
        section("", fields=[_field("Top queues", _top(now.queues))]),
    ]


_STATUSES = ("delivered", "failed", "blocked", "undelivered", "not confirmed")


def _delivery(data: Section[DeliveryTally]) -> list[Block]:
    now, before = data.current, data.previous
    assert now is not None
    cells = [
        _field(
            s.capitalize(),
            _count(now.statuses[s]),
            change(now.statuses[s], before.statuses[s] if before is not None else None),
        )
        for s in _STATUSES
    ]
    blocks: list[Block] = [section("*Delivery*", fields=cells)]
    if now.failures_total:
        lines = [
            f"• {escape(f.number)} · {escape(f.status)} · {escape(clip(clean(f.reason), REASON_CHARS))}"
            f" _({escape(f.source)})_"
            for f in now.failures[:FAILURES_LISTED]
        ]
        text = "*Not delivered*\n"
        shown = 0
        for line in lines:  # whole lines only, inside a section's 3,000 characters
            if len(text) + len(line) + 40 > limits.SECTION_TEXT:
                break
            text += line + "\n"
            shown += 1
        hidden = max(0, now.failures_total - shown)
        if hidden:
            text += f"…and {_count(hidden)} more."
        blocks.append(section(text.rstrip()))
    return blocks


def oldest_thread_button(oldest: OldestThread) -> dict[str, Any]:
    """The threads feature's own History button for the oldest unanswered thread (signed like every
    button; the click is handled by `bot.slack.threads.actions.history`, which checks the clicker's access
    to the thread before showing anything). The LiveVox channel id is not known here and not needed: the
    history job reads the thread by its id."""
    ref = ThreadRef(thread_id=oldest.thread_id, channel_id="", personal=False, number=oldest.number)
    element: dict[str, Any] = button("Open thread", ids.ACTION_THREAD_HISTORY, ref.to_value()).to_dict()
    return element


def _threads(data: Section[ThreadTally], oldest_button: dict[str, Any] | None) -> list[Block]:
    now = data.current
    assert now is not None
    cells = [
        _field(
            escape(clip(clean(i.name), NAME_CHARS)), f"{_count(i.unread)} unread · {_count(i.active)} active"
        )
        for i in now.inboxes[:INBOXES_LISTED]
    ]
    blocks: list[Block] = []
    if cells:
        blocks.append(section("*Threads*", fields=cells))
    else:
        blocks.append(section("*Threads*\n_No inboxes._"))
    if len(now.inboxes) > INBOXES_LISTED:
        rest = now.inboxes[INBOXES_LISTED:]
        blocks.append(
            context(
                f"…and {plural(len(rest), 'more inbox', 'more inboxes')}: "
                f"{_count(sum(i.unread for i in rest))} unread, {_count(sum(i.active for i in rest))} active."
            )
        )
    if now.oldest is not None:
        oldest = now.oldest
        inbox = escape(clip(clean(oldest.inbox), NAME_CHARS))
        text = (
            f"*Oldest unanswered*: {escape(oldest.number)} in {inbox}, "
            f"waiting since {when(oldest.waiting_since)}"
        )
        accessory = oldest_button if oldest_button is not None else oldest_thread_button(oldest)
        blocks.append(section(text, accessory=accessory))
    return blocks


# ------------------------------------------------------------------------------------------ the chart
def _bucket_groups(buckets: Sequence[Bucket], points: int = CHART_POINTS) -> list[tuple[str, int, int]]:
    """(label, sms, calls) with at most `points` entries: neighbouring buckets summed (24 hours → 12 pairs),
    labelled by their first bucket; labels made unique (a fall-back day has 01:00 twice)."""
    size = max(1, math.ceil(len(buckets) / points))
    groups: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for start in range(0, len(buckets), size):
        part = buckets[start : start + size]
        label = clip(clean(part[0].label).strip() or str(start + 1), CHART_LABEL)
        base, n = label, 1
        while label in seen:
            n += 1
            suffix = f" ({n})"
            label = base[: CHART_LABEL - len(suffix)] + suffix
        seen.add(label)
        groups.append((label, sum(b.sms for b in part), sum(b.calls for b in part)))
    return groups


def chart_block(buckets: Sequence[Bucket], *, title: str, x_label: str) -> dict[str, Any] | None:
    """The volume series (SMS and calls per bucket) as a native bar chart; None without buckets."""
    groups = _bucket_groups(buckets)
    if not groups:
        return None
    categories = [label for label, _, _ in groups]
    series = [
        {"name": name[:CHART_SERIES_NAME], "data": [{"label": g[0], "value": g[index]} for g in groups]}
        for name, index in (("SMS", 1), ("Calls", 2))
    ]
    return {
        "type": "data_visualization",
        "block_id": "digest_volume",
        "title": clip(clean(title), CHART_TITLE),
        "chart": {
            "type": "bar",
            "series": series,
            "axis_config": {
                "categories": categories,
                "x_label": clip(x_label, CHART_AXIS_LABEL),
                "y_label": "Conversations",
            },
        },
    }


# ------------------------------------------------------------------------------------------ message
def _schedule(schedule: str, zone: str) -> Schedule:
    return parse_schedule(schedule.split(), zone)


def _slot_clock(schedule: Schedule, slot: datetime) -> str:
    """The slot's local time as the schedule names it: `09:00` (hourly: that hour's `14:15`)."""
    if schedule.every is Every.HOUR:
        return slot.astimezone(schedule.tz).strftime("%H:%M")
    return f"{schedule.hour:02d}:{schedule.minute:02d}"


def _period_words(schedule: Schedule) -> str:
    return {Every.HOUR: "the last hour", Every.DAY: "yesterday", Every.WEEK: "last week"}[schedule.every]


def chart_title(every: Every) -> str:
    """The volume chart's title (the PNG's too, so the two read alike)."""
    return {Every.HOUR: "Volume in the hour", Every.DAY: "Volume per hour", Every.WEEK: "Volume per day"}[
        every
    ]


def _x_label(schedule: Schedule) -> str:
    return {Every.HOUR: "Time", Every.DAY: "Hour", Every.WEEK: "Day"}[schedule.every]


def digest_message(
    data: DigestData,
    *,
    title: str,
    schedule: str,
    zone: str,
    sections: Sequence[str],
    late: bool,
    manual: bool,
    oldest_thread_button: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The digest as a chat.postMessage payload: {"text": fallback, "blocks": [...]}.

    `schedule` is the subscription's canonical text (`daily 09:00`), `zone` its IANA time zone; `sections`
    the requested ones, in the order given. Without `oldest_thread_button` the threads feature's History
    button is built here for the oldest thread.
    """
    plan = _schedule(schedule, zone)
    wanted = [s for s in sections if s in SECTIONS] or list(SECTIONS)
    notes = [f"{when(data.period.start)} – {when(data.period.end)} · {escape(plan.describe())}"]
    if late:
        # an hourly slot is its period's end; a daily or weekly one is named by the schedule's clock
        clock = _slot_clock(plan, data.period.end)
        notes.append(f"Posted late: the {clock} digest was missed while Switchboard was down.")
    if manual:
        notes.append("Run now, outside the schedule.")
    blocks: list[Block] = [header(clean(title)), context(*notes)]
    cells = _headline(data, wanted)
    if cells:
        blocks.append(section("", fields=cells))

    builders: dict[str, Callable[[], list[Block]]] = {
        "sms": lambda: _part("SMS", data.sms, _sms),
        "calls": lambda: _part("Calls", data.calls, _calls),
        "delivery": lambda: _part("Delivery", data.delivery, _delivery),
        "threads": lambda: _part("Threads", data.threads, lambda s: _threads(s, oldest_thread_button)),
    }
    for name in wanted:
        part = builders[name]()
        if part:
            blocks.append(divider())
            blocks.extend(part)

    chart = chart_block(data.volume, title=chart_title(plan.every), x_label=_x_label(plan))
    room = limits.MESSAGE_BLOCKS - (1 if chart is not None else 0)
    payload = to_dicts(fit(blocks, room))
    if chart is not None:
        # right after the headline numbers: the shape of the period, before the detail
        at = 3 if cells else 2
        payload.insert(min(at, len(payload)), chart)
    return {"text": clip(_fallback(data, title, wanted), limits.SECTION_TEXT), "blocks": payload}


def _part(title: str, data: Section[T], build: Callable[[Section[T]], list[Block]]) -> list[Block]:
    if data.error or not data.connected or data.current is None:
        return _unavailable(title, data)
    return build(data)


def _fallback(data: DigestData, title: str, sections: Sequence[str]) -> str:
    """What notifications and screen readers show: the headline numbers in one sentence."""
    parts: list[str] = []
    if "sms" in sections and data.sms.current is not None:
        parts.append(f"{data.sms.current.inbound} SMS in, {data.sms.current.outbound} out")
    if "calls" in sections and data.calls.current is not None:
        calls = data.calls.current
        parts.append(f"{plural(calls.total, 'call')} ({_percent(calls.abandoned_rate)} abandoned)")
    if "delivery" in sections and data.delivery.current is not None:
        parts.append(f"{_percent(_delivered_rate(data.delivery.current))} delivered")
    return f"{escape(title)}: " + ("; ".join(parts) if parts else "no numbers this time") + "."


# ------------------------------------------------------------------------------------------ notes
def failure_note(*, schedule: str, zone: str, reason: str) -> dict[str, Any]:
    """A run that finally failed: "Yesterday's digest could not be built: Zoom was unavailable."
    (`reason` is one clause from outside, escaped here)."""
    words = _period_words(_schedule(schedule, zone))
    said = escape(reason.strip().rstrip("."))
    text = f"{words[0].upper()}{words[1:]}'s digest could not be built: {said}."
    return {"text": text, "blocks": to_dicts([section(f"⚠️ {text}")])}


def skipped_note(*, schedule: str, zone: str, slot: datetime) -> dict[str, Any]:
    """A slot missed by more than 6 hours: "The 09:00 digest of Tuesday 1 December was skipped: …".
    The day is the subscription's local day, like the clock next to it."""
    plan = _schedule(schedule, zone)
    local = slot.astimezone(plan.tz)
    day = f"{local:%A} {local.day} {local:%B}"
    text = (
        f"The {_slot_clock(plan, slot)} digest of {day} was skipped: "
        "Switchboard was down for more than 6 hours."
    )
    return {"text": text, "blocks": to_dicts([context(text)])}
