"""The digest's volume chart as a PNG, rendered headless with matplotlib, and its alt text.

matplotlib is used through its object API on an `Agg` canvas: no pyplot, so no global figure state, no
display and no GUI backend is ever picked (a worker has no screen), and figures are freed with their last
reference. The PNG carries no creation time or software version (`metadata`), so the same buckets give
the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.services.digest_content import Bucket
from bot.slack.text import clean, plural

__all__ = ["alt_text", "volume_chart"]

SIZE = (8.0, 4.0)  # inches: fills a phone's width in Slack's preview, still legible
DPI = 120
SMS_COLOUR, CALLS_COLOUR = "#2b6cb0", "#dd6b20"
ALT_TEXT_LIMIT = (
    1000  # a screen reader reads it all; an image block allows 2,000 (files: not documented here)
)
_TICKS = 12  # at most this many x labels, so 24 hours or 31 days do not overlap


def volume_chart(buckets: Sequence[Bucket], *, title: str) -> bytes:
    """Bars of SMS and calls per bucket (side by side), labelled axes; an empty period says so."""
    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(buckets)))
    width = 0.4
    axes.bar(
        [p - width / 2 for p in positions], [b.sms for b in buckets], width, label="SMS", color=SMS_COLOUR
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [b.calls for b in buckets],
        width,
        label="Calls",
        color=CALLS_COLOUR,
    )
    step = max(1, -(-len(buckets) // _TICKS))
    axes.set_xticks(positions[::step], [clean(b.label) for b in buckets][::step])
    axes.set_title(clean(title), fontsize=14)
    axes.set_xlabel("Time (local)" if buckets else "")
    axes.set_ylabel("Conversations")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 conversations
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    if buckets:
        axes.legend(loc="upper left", frameon=False)
    if not any(b.sms or b.calls for b in buckets):
        axes.text(
            0.5, 0.5, "No SMS or calls in this period", transform=axes.transAxes, ha="center", va="center"
        )
        axes.set_ylim(0, 1)
    figure.tight_layout()
    out = io.BytesIO()
    # No "Software" or creation-time chunks: identical input, identical bytes.
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def alt_text(buckets: Sequence[Bucket], *, title: str) -> str:
    """The chart in words for screen readers: totals, the busiest bucket of each series."""
    if not buckets:
        return f"{clean(title)}: no data for this period."
    sms = sum(b.sms for b in buckets)
    calls = sum(b.calls for b in buckets)
    counted = f"{plural(sms, 'SMS', 'SMS')} and {plural(calls, 'call')}"
    parts = [f"{clean(title)}, {plural(len(buckets), 'bar group')}: {counted}."]
    if sms:
        top = max(buckets, key=lambda b: b.sms)
        parts.append(f"Most SMS at {clean(top.label)} ({top.sms}).")
    if calls:
        top = max(buckets, key=lambda b: b.calls)
        parts.append(f"Most calls at {clean(top.label)} ({top.calls}).")
    if not sms and not calls:
        parts.append("No SMS or calls in this period.")
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"
