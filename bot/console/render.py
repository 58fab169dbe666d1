"""Block Kit as terminal text: messages, modals and App Home views.

Every interactive element gets a number (``[1] Take  [2] Release``), the same numbering as
`bot.console.blockkit.interactive_elements` and ``SlackDriver.click(index=...)``; options of
selects and overflow menus are listed as ``N.k``. ANSI colour only when asked (or, by default,
when stdout is a terminal).
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from bot.console.blockkit import Interactive, element_options, interactive_elements, text_of
from bot.console.dates import render_date_token
from bot.console.emulator import Message, View

RULE = "─" * 40
CHART_ROWS = 8  # a data_visualization block shows this many categories as text, then "…and N more"
_LINK = re.compile(r"<([^<>]+)>")

_ANSI = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "cyan": "\x1b[36m",
}
_RESET = "\x1b[0m"


@dataclass
class Rendered:
    """Rendered text plus what each number clicks."""

    text: str
    targets: dict[int, Interactive] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def mrkdwn(
    text: str,
    *,
    names: Mapping[str, str] | None = None,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> str:
    """Slack mrkdwn for a terminal: links as ``text (url)``, ``<@U…>`` as ``@name`` (``names``: user and
    channel ids to names, else the id), ``<!date^…>`` in the local time zone (or ``tz``), entities
    unescaped; ``*bold*``, ``_italic_`` and ``code`` kept literally."""
    known = names or {}

    def link(match: re.Match[str]) -> str:
        inner = match.group(1)
        date = render_date_token(inner, tz=tz, now=now)
        if date is not None:
            return date
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return label if label.startswith("@") else f"@{label or known.get(target[1:], target[1:])}"
        if target.startswith("#"):
            return f"#{label or known.get(target[1:], target[1:])}"
        if target.startswith("!"):
            if target.startswith("!subteam") and label:
                return label
            return "@" + target[1:].split("^")[0]
        if label:
            return f"{label} ({target})"
        return target.removeprefix("mailto:")

    return html.unescape(_LINK.sub(link, text)) if "&" in text or "<" in text else text


def _resolve_color(color: bool | None) -> bool:
    if color is None:
        return sys.stdout.isatty()
    return color


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles or not text:
            return text
        return "".join(_ANSI[s] for s in styles) + text + _RESET


@dataclass(frozen=True)
class Reader:
    """Who reads: the names behind user and channel ids, their time zone (None: this machine's) and now."""

    names: Mapping[str, str] = field(default_factory=dict)
    tz: tzinfo | None = None
    now: datetime | None = None

    def mrkdwn(self, text: str) -> str:
        return mrkdwn(text, names=self.names, tz=self.tz, now=self.now)

    def plain(self, obj: Any) -> str:
        """A text object for display (mrkdwn converted, plain_text unescaped)."""
        if isinstance(obj, Mapping) and obj.get("type") == "mrkdwn":
            return self.mrkdwn(text_of(obj))
        return text_of(obj)


_ANYONE = Reader()


class _Renderer:
    def __init__(
        self, blocks: Sequence[Mapping[str, Any]], color: bool, *, start: int = 1, reader: Reader = _ANYONE
    ) -> None:
        self.blocks = blocks
        self.paint = _Painter(color)
        self.elements = interactive_elements(blocks)
        self.by_id = {id(e.element): e for e in self.elements}
        self.lines: list[str] = []
        self.offset = start - 1  # shown numbers are the elements' own (from 1) plus this
        self.reader = reader

    def number(self, element: Mapping[str, Any]) -> int | None:
        found = self.by_id.get(id(element))
        return found.number + self.offset if found is not None else None

    def element(self, element: Mapping[str, Any]) -> str:
        """One interactive element on one line (options listed after it)."""
        found = self.number(element)
        kind = str(element.get("type", ""))
        tag = self.paint(f"[{found}]", "cyan", "bold") if found else "[-]"
        if kind == "button":
            style = element.get("style")
            text = self.reader.plain(element.get("text"))
            if element.get("url"):
                text += f" ({element['url']})"
            painted = self.paint(
                text, "green" if style == "primary" else "red" if style == "danger" else "bold"
            )
            return f"{tag} {painted}"
        options = element_options(element)
        placeholder = self.reader.plain(element.get("placeholder"))
        if kind == "overflow":
            label = "⋯"
        else:
            label = (
                f"{placeholder or kind.replace('_', ' ')} ▾" if "select" in kind else kind.replace("_", " ")
            )
        initial = element.get("initial_option")
        if isinstance(initial, Mapping):
            label += f" = {self.reader.plain(initial.get('text'))}"
        for key in (
            "initial_date",
            "initial_time",
            "initial_user",
            "initial_conversation",
            "initial_channel",
        ):
            if element.get(key):
                label += f" = {element[key]}"
        if not options:
            return f"{tag} {label}"
        prefix = f"{found}." if found else ""
        listed = "  ".join(
            f"{prefix}{i} {self.reader.plain(o.get('text'))}" for i, o in enumerate(options, 1)
        )
        return f"{tag} {label}: {listed}"

    def block(self, block: Mapping[str, Any]) -> None:
        kind = block.get("type")
        out = self.lines.append
        if kind == "header":
            out(self.paint(f"== {self.reader.plain(block.get('text'))} ==", "bold"))
        elif kind == "section":
            if block.get("text") is not None:
                out(self.reader.plain(block.get("text")))
            fields = [self.reader.plain(f) for f in block.get("fields") or []]
            if fields:
                left = [f for f in fields[0::2]]
                width = min(
                    max((max((len(x) for x in f.splitlines()), default=0) for f in left), default=0), 40
                )
                for i in range(0, len(fields), 2):
                    a = fields[i].splitlines() or [""]
                    b = (fields[i + 1].splitlines() or [""]) if i + 1 < len(fields) else []
                    for row in range(max(len(a), len(b))):
                        ca = a[row] if row < len(a) else ""
                        cb = b[row] if row < len(b) else ""
                        out(f"{ca.ljust(width)}   {cb}".rstrip())
            accessory = block.get("accessory")
            if isinstance(accessory, Mapping):
                if accessory.get("type") == "image":
                    out(f"  [image: {accessory.get('alt_text', '')}]")
                else:
                    out("  " + self.element(accessory))
        elif kind == "divider":
            out(self.paint(RULE, "dim"))
        elif kind == "context":
            parts = []
            for element in block.get("elements") or []:
                if element.get("type") == "image":
                    parts.append(f"[image: {element.get('alt_text', '')}]")
                else:
                    parts.append(self.reader.plain(element))
            out(self.paint(f"[{' · '.join(parts)}]", "dim"))
        elif kind == "image":
            title = self.reader.plain(block.get("title"))
            out(f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else ""))
        elif kind == "actions":
            out("  ".join(self.element(e) for e in block.get("elements") or []))
        elif kind == "input":
            self.input(block)
        elif kind == "rich_text":
            out(self.reader.mrkdwn(_rich_text(block)))
        elif kind == "markdown":
            out(str(block.get("text", "")))
        elif kind == "data_visualization":
            self.chart(block)
        elif kind in ("file", "video"):
            out(f"[{kind}: {block.get('title', block.get('external_id', ''))}]")
        else:
            out(f"[{kind}]")

    def chart(self, block: Mapping[str, Any]) -> None:
        """A native chart as its title and a few rows of its numbers."""
        out = self.lines.append
        chart = block.get("chart") or {}
        out(self.paint(f"[{chart.get('type', 'chart')} chart: {block.get('title', '')}]", "bold"))
        if chart.get("type") == "pie":
            rows = [(str(s.get("label", "")), [str(s.get("value", ""))]) for s in chart.get("segments") or []]
        else:
            series = list(chart.get("series") or [])
            labels = list((chart.get("axis_config") or {}).get("categories") or [])
            values = [{str(p.get("label")): p.get("value") for p in s.get("data") or []} for s in series]
            rows = [
                (
                    str(label),
                    [f"{s.get('name', '')} {v.get(label, '–')}" for s, v in zip(series, values, strict=True)],
                )
                for label in labels
            ]
        width = max((len(label) for label, _ in rows[:CHART_ROWS]), default=0)
        for label, cells in rows[:CHART_ROWS]:
            out(f"  {label.ljust(width)}  {' · '.join(cells)}")
        if len(rows) > CHART_ROWS:
            out(self.paint(f"  …and {len(rows) - CHART_ROWS} more", "dim"))

    def input(self, block: Mapping[str, Any]) -> None:
        element = block.get("element") or {}
        label = self.reader.plain(block.get("label"))
        kind = str(element.get("type", ""))
        flag = " (optional)" if block.get("optional") else ""
        found = self.number(element)
        tag = f"{self.paint(f'[{found}]', 'cyan', 'bold')} " if found else ""
        self.lines.append(f"{tag}{self.paint(label, 'bold')}{flag} [{kind}]")
        initial = element.get("initial_value") or self.reader.plain(
            element.get("initial_option", {}).get("text")
        )
        if initial:
            self.lines.append(f"    = {initial}")
        options = element_options(element)
        if options:
            self.lines.append(
                "    "
                + "  ".join(f"{i}) {self.reader.plain(o.get('text'))}" for i, o in enumerate(options, 1))
            )
        if block.get("hint"):
            self.lines.append(self.paint(f"    {self.reader.plain(block.get('hint'))}", "dim"))

    def render(self) -> Rendered:
        for block in self.blocks:
            self.block(block)
        return Rendered("\n".join(self.lines), {e.number + self.offset: e for e in self.elements})


def _rich_text(obj: Any) -> str:
    if isinstance(obj, Mapping):
        kind = obj.get("type")
        if kind == "text":
            return str(obj.get("text", ""))
        if kind == "link":
            return str(obj.get("text") or obj.get("url", ""))
        if kind == "user":
            return f"@{obj.get('user_id', '')}"
        if kind == "channel":
            return f"#{obj.get('channel_id', '')}"
        if kind == "emoji":
            return f":{obj.get('name', '')}:"
        inner = "".join(_rich_text(e) for e in obj.get("elements") or [])
        if kind == "rich_text_list":
            return "\n".join(f"• {_rich_text(e)}" for e in obj.get("elements") or [])
        if kind in ("rich_text_preformatted", "rich_text_quote"):
            return f"\n{inner}\n"
        return inner
    return ""


def render_blocks(
    blocks: Sequence[Mapping[str, Any]],
    *,
    color: bool | None = None,
    start: int = 1,
    reader: Reader | None = None,
) -> Rendered:
    """Blocks alone; interactive elements are numbered from `start` (1 by default)."""
    return _Renderer(blocks, _resolve_color(color), start=start, reader=reader or _ANYONE).render()


def render_message(
    message: Message | Mapping[str, Any],
    *,
    color: bool | None = None,
    start: int = 1,
    reader: Reader | None = None,
) -> Rendered:
    """A message: its blocks (or its text when it has none), attachments and files."""
    reader = reader or _ANYONE
    if isinstance(message, Message):
        text, blocks, attachments, files = message.text, message.blocks, message.attachments, message.files
    else:
        text = str(message.get("text", ""))
        blocks = list(message.get("blocks") or [])
        attachments = list(message.get("attachments") or [])
        files = list(message.get("files") or [])
    rendered = (
        render_blocks(blocks, color=color, start=start, reader=reader)
        if blocks
        else Rendered(reader.mrkdwn(text))
    )
    lines = [rendered.text] if rendered.text else []
    for attachment in attachments:
        body = render_blocks(
            attachment.get("blocks") or [], color=color, reader=reader
        ).text or reader.mrkdwn(str(attachment.get("text") or attachment.get("fallback") or ""))
        lines.extend(f"| {line}" for line in body.splitlines())
    for file in files:
        lines.append(_file_line(file))
    rendered.text = "\n".join(lines)
    return rendered


def _file_line(file: Mapping[str, Any]) -> str:
    """A shared file; one the emulator saved (`files_dir`) shows where, so it can be opened."""
    line = f"[file: {file.get('title') or file.get('name')}"
    if file.get("alt_txt"):
        line += f" · {file['alt_txt']}"
    url = str(file.get("url_private") or "")
    if url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        line += f" → {unquote(urlparse(url).path)}"
    return line + "]"


def render_view(
    view: View | Mapping[str, Any],
    *,
    color: bool | None = None,
    start: int = 1,
    reader: Reader | None = None,
) -> Rendered:
    """A modal (title, blocks, inputs, submit/close) or an App Home view."""
    reader = reader or _ANYONE
    data = view.data if isinstance(view, View) else view
    paint = _Painter(_resolve_color(color))
    rendered = render_blocks(list(data.get("blocks") or []), color=color, start=start, reader=reader)
    if data.get("type") == "home":
        head = paint("=== App Home ===", "bold")
        rendered.text = f"{head}\n{rendered.text}" if rendered.text else head
        return rendered
    head = paint(f"=== {reader.plain(data.get('title'))} ===", "bold")
    buttons = []
    if data.get("submit"):
        buttons.append(paint(f"<{reader.plain(data.get('submit'))}>", "green"))
    buttons.append(f"<{reader.plain(data.get('close')) or 'Cancel'}>")
    parts = [head]
    if rendered.text:
        parts.append(rendered.text)
    parts.append(" ".join(buttons))
    rendered.text = "\n".join(parts)
    return rendered
