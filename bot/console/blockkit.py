"""Block Kit as Slack checks it: limits, text-object types, ids, and the interactive elements.

`validate_blocks` returns Slack-style error strings (``"must be at most 3000 characters
[json-pointer:/blocks/0/text/text]"``); an empty list means Slack would accept the blocks. The product's
unit tests reuse it, and the emulator answers ``invalid_blocks`` / ``invalid_arguments`` with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
MAX_MESSAGE_TEXT = 40_000
MAX_ID = 255

SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
INTERACTIVE = frozenset(
    {
        "button",
        "overflow",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
        *SELECTS,
    }
)
INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
        *SELECTS,
    }
)
BLOCK_TYPES = frozenset(
    {
        "section",
        "header",
        "divider",
        "actions",
        "context",
        "image",
        "input",
        "rich_text",
        "file",
        "video",
        "markdown",
        "context_actions",
        "data_visualization",
    }
)
# The data_visualization block (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block).
# From the reference: title ≤ 50, chart one of pie (segments 1–6) / bar / area / line (series 1–6, with a
# required axis_config). Inferred from a third-party transcription of the reference (the slack-messaging
# crate): a series {name ≤ 20, data: 1–20 points {label ≤ 20, value}}, unique series names, points labelled
# with axis_config.categories (each ≤ 20); x_label / y_label ≤ 50; a segment {label ≤ 20, value}.
CHARTS = frozenset({"pie", "bar", "area", "line"})
MAX_CHARTS = 2  # per message
CHART_TITLE, CHART_LABEL, CHART_NAME, CHART_AXIS_LABEL = 50, 20, 20, 50
CHART_SERIES, CHART_POINTS = 6, 20
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")


@dataclass(frozen=True)
class Interactive:
    """An element a user can click or pick from, in reading order (numbered from 1 by `render`)."""

    number: int
    block_index: int
    block_id: str
    action_id: str
    element: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.element.get("type", ""))

    @property
    def options(self) -> list[Mapping[str, Any]]:
        return element_options(self.element)


def element_options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The options of a select, overflow, checkboxes or radio_buttons (option groups flattened)."""
    options: list[Mapping[str, Any]] = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def text_of(obj: Any) -> str:
    """The text of a text object (or a plain string), '' when absent."""
    if isinstance(obj, Mapping):
        value = obj.get("text", "")
        return value if isinstance(value, str) else ""
    return obj if isinstance(obj, str) else ""


def interactive_elements(blocks: Sequence[Mapping[str, Any]] | None) -> list[Interactive]:
    """The clickable elements of a message or view: actions elements and section accessories.

    Input-block elements are not listed (they are filled in and submitted), except those with
    ``dispatch_action`` which fire ``block_actions`` like buttons do.
    """
    found: list[Interactive] = []

    def add(index: int, block: Mapping[str, Any], element: Mapping[str, Any]) -> None:
        found.append(
            Interactive(
                number=len(found) + 1,
                block_index=index,
                block_id=str(block.get("block_id", "")),
                action_id=str(element.get("action_id", "")),
                element=element,
            )
        )

    for index, block in enumerate(blocks or []):
        kind = block.get("type")
        if kind == "actions":
            for element in block.get("elements") or []:
                if element.get("type") in INTERACTIVE:
                    add(index, block, element)
        elif kind == "section":
            accessory = block.get("accessory")
            if isinstance(accessory, Mapping) and accessory.get("type") in INTERACTIVE:
                add(index, block, accessory)
        elif kind == "input" and block.get("dispatch_action"):
            element = block.get("element")
            if isinstance(element, Mapping):
                add(index, block, element)
    return found


def input_blocks(blocks: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    return [b for b in blocks or [] if b.get("type") == "input" and isinstance(b.get("element"), Mapping)]


# -------------------------------------------------------------------------------------- validation
class _Checker:
    def __init__(self, root: str) -> None:
        self.root = root
        self.errors: list[str] = []

    def error(self, message: str, *path: str | int) -> None:
        pointer = "/".join([self.root, *(str(p) for p in path)])
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def length(self, value: Any, limit: int, *path: str | int, minimum: int = 0) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            self.error("must be a string", *path)
        elif len(value) > limit:
            self.error(f"must be at most {limit} characters", *path)
        elif len(value) < minimum:
            self.error(f"must be at least {minimum} character{'s' if minimum > 1 else ''}", *path)

    def text(
        self,
        obj: Any,
        limit: int,
        *path: str | int,
        plain: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.error("must provide an object", *path)
            return
        if not isinstance(obj, Mapping):
            self.error("must provide an object", *path)
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.error("must be one of plain_text, mrkdwn", *path, "type")
        elif plain and kind != "plain_text":
            self.error("must be plain_text", *path, "type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.error("must provide a string", *path, "text")
            return
        self.length(text, limit, *path, "text", minimum=1)

    def confirm(self, obj: Any, *path: str | int) -> None:
        if obj is None:
            return
        if not isinstance(obj, Mapping):
            self.error("must provide an object", *path)
            return
        self.text(obj.get("title"), 100, *path, "title", plain=True)
        self.text(obj.get("text"), 300, *path, "text")
        self.text(obj.get("confirm"), 30, *path, "confirm", plain=True)
        self.text(obj.get("deny"), 30, *path, "deny", plain=True)

    def option(self, obj: Any, *path: str | int, plain: bool) -> None:
        if not isinstance(obj, Mapping):
            self.error("must provide an object", *path)
            return
        self.text(obj.get("text"), 75, *path, "text", plain=plain)
        value = obj.get("value")
        if value is None and "url" not in obj:
            self.error("must provide a string", *path, "value")
        self.length(value, 150, *path, "value")
        self.text(obj.get("description"), 75, *path, "description", plain=plain, required=False)

    def element(self, element: Any, action_ids: set[str], *path: str | int) -> None:
        if not isinstance(element, Mapping):
            self.error("must provide an object", *path)
            return
        kind = element.get("type")
        if not isinstance(kind, str):
            self.error("must provide a string", *path, "type")
            return
        action_id = element.get("action_id")
        if action_id is not None:
            self.length(action_id, MAX_ID, *path, "action_id", minimum=1)
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.error(f"action_id {action_id!r} already exists", *path, "action_id")
                action_ids.add(action_id)
        self.confirm(element.get("confirm"), *path, "confirm")
        self.text(element.get("placeholder"), 150, *path, "placeholder", plain=True, required=False)
        if kind == "button":
            self.text(element.get("text"), 75, *path, "text", plain=True)
            self.length(element.get("value"), 2000, *path, "value")
            self.length(element.get("url"), 3000, *path, "url")
            style = element.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.error("must be one of primary, danger", *path, "style")
        elif kind in ("static_select", "multi_static_select"):
            options = element.get("options")
            groups = element.get("option_groups")
            if options is None and groups is None:
                self.error("must provide either options or option_groups", *path)
            if options is not None:
                if not isinstance(options, list) or len(options) > 100:
                    self.error("must provide at most 100 items", *path, "options")
                else:
                    for i, option in enumerate(options):
                        self.option(option, *path, "options", i, plain=True)
            if groups is not None:
                if not isinstance(groups, list) or len(groups) > 100:
                    self.error("must provide at most 100 items", *path, "option_groups")
                else:
                    for g, group in enumerate(groups):
                        self.text(group.get("label"), 75, *path, "option_groups", g, "label", plain=True)
                        for i, option in enumerate(group.get("options") or []):
                            self.option(option, *path, "option_groups", g, "options", i, plain=True)
        elif kind == "overflow":
            options = element.get("options")
            if not isinstance(options, list) or not 1 <= len(options) <= 5:
                self.error("must provide between 1 and 5 items", *path, "options")
            else:
                for i, option in enumerate(options):
                    self.option(option, *path, "options", i, plain=True)
        elif kind in ("checkboxes", "radio_buttons"):
            options = element.get("options")
            if not isinstance(options, list) or not 1 <= len(options) <= 10:
                self.error("must provide between 1 and 10 items", *path, "options")
            else:
                for i, option in enumerate(options):
                    self.option(option, *path, "options", i, plain=False)
        elif kind == "plain_text_input":
            self.length(element.get("initial_value"), 3000, *path, "initial_value")
            for key in ("min_length", "max_length"):
                value = element.get(key)
                if value is not None and (not isinstance(value, int) or not 0 <= value <= 3000):
                    self.error("must be an integer between 0 and 3000", *path, key)
        elif kind == "datepicker":
            initial = element.get("initial_date")
            if initial is not None and not (isinstance(initial, str) and _DATE.match(initial)):
                self.error("must be a date in the format YYYY-MM-DD", *path, "initial_date")
        elif kind == "timepicker":
            initial = element.get("initial_time")
            if initial is not None and not (isinstance(initial, str) and _TIME.match(initial)):
                self.error("must be a time in the format HH:mm", *path, "initial_time")
        elif kind not in INTERACTIVE and kind not in INPUT_ELEMENTS and kind != "image":
            self.error(f"unsupported element type {kind!r}", *path, "type")

    def chart_block(self, block: Mapping[str, Any], path: tuple[str | int, ...]) -> None:
        title = block.get("title")
        if not isinstance(title, str):
            self.error("must provide a string", *path, "title")
        else:
            self.length(title, CHART_TITLE, *path, "title", minimum=1)
        chart = block.get("chart")
        if not isinstance(chart, Mapping):
            self.error("must provide an object", *path, "chart")
            return
        kind = chart.get("type")
        if kind not in CHARTS:
            self.error("must be one of pie, bar, area, line", *path, "chart", "type")
            return
        if kind == "pie":
            segments = chart.get("segments")
            if not isinstance(segments, list) or not 1 <= len(segments) <= CHART_SERIES:
                self.error(f"must provide between 1 and {CHART_SERIES} items", *path, "chart", "segments")
                return
            for i, segment in enumerate(segments):
                self.point(segment, None, *path, "chart", "segments", i)
            return
        axis = chart.get("axis_config")
        categories: list[Any] = []
        if not isinstance(axis, Mapping):
            self.error("must provide an object", *path, "chart", "axis_config")
        else:
            found = axis.get("categories")
            if not isinstance(found, list) or not found:
                self.error("must provide at least 1 item", *path, "chart", "axis_config", "categories")
            else:
                categories = found
                for i, category in enumerate(categories):
                    if not isinstance(category, str):
                        self.error("must provide a string", *path, "chart", "axis_config", "categories", i)
                    else:
                        self.length(
                            category, CHART_LABEL, *path, "chart", "axis_config", "categories", i, minimum=1
                        )
            for key in ("x_label", "y_label"):
                self.length(axis.get(key), CHART_AXIS_LABEL, *path, "chart", "axis_config", key)
        series = chart.get("series")
        if not isinstance(series, list) or not 1 <= len(series) <= CHART_SERIES:
            self.error(f"must provide between 1 and {CHART_SERIES} items", *path, "chart", "series")
            return
        names: set[str] = set()
        for s, one in enumerate(series):
            where = (*path, "chart", "series", s)
            if not isinstance(one, Mapping):
                self.error("must provide an object", *where)
                continue
            name = one.get("name")
            if not isinstance(name, str):
                self.error("must provide a string", *where, "name")
            else:
                self.length(name, CHART_NAME, *where, "name", minimum=1)
                if name in names:
                    self.error(f"series name {name!r} already exists", *where, "name")
                names.add(name)
            data = one.get("data")
            if not isinstance(data, list) or not 1 <= len(data) <= CHART_POINTS:
                self.error(f"must provide between 1 and {CHART_POINTS} items", *where, "data")
                continue
            for i, point in enumerate(data):
                self.point(point, set(c for c in categories if isinstance(c, str)), *where, "data", i)

    def point(self, point: Any, categories: set[str] | None, *path: str | int) -> None:
        """A data point or a pie segment: {label, value}; a point's label is one of the categories."""
        if not isinstance(point, Mapping):
            self.error("must provide an object", *path)
            return
        label = point.get("label")
        if not isinstance(label, str):
            self.error("must provide a string", *path, "label")
        else:
            self.length(label, CHART_LABEL, *path, "label", minimum=1)
            if categories and label not in categories:
                self.error("must be one of axis_config.categories", *path, "label")
        if not _number(point.get("value")):
            self.error("must provide a number", *path, "value")

    def block(
        self,
        block: Any,
        index: int,
        surface: str,
        block_ids: set[str],
    ) -> None:
        path: tuple[str | int, ...] = ("blocks", index)
        if not isinstance(block, Mapping):
            self.error("must provide an object", *path)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.error(f"unsupported type {kind!r}", *path, "type")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.length(block_id, MAX_ID, *path, "block_id", minimum=1)
            if isinstance(block_id, str):
                if block_id in block_ids:
                    self.error(f"block_id {block_id!r} already exists", *path, "block_id")
                block_ids.add(block_id)
        action_ids: set[str] = set()  # Slack wants action_ids unique within their block
        if kind == "section":
            text = block.get("text")
            fields = block.get("fields")
            if text is None and fields is None:
                self.error("must provide either text or fields", *path)
            self.text(text, 3000, *path, "text", required=False)
            if fields is not None:
                if not isinstance(fields, list):
                    self.error("must provide an array", *path, "fields")
                else:
                    if len(fields) > 10:
                        self.error("must provide at most 10 items", *path, "fields")
                    for i, field in enumerate(fields):
                        self.text(field, 2000, *path, "fields", i)
            if block.get("accessory") is not None:
                self.element(block.get("accessory"), action_ids, *path, "accessory")
        elif kind == "header":
            self.text(block.get("text"), 150, *path, "text", plain=True)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.error("must provide at least 1 item", *path, "elements")
            else:
                if len(elements) > 25:
                    self.error("must provide at most 25 items", *path, "elements")
                for i, element in enumerate(elements):
                    if isinstance(element, Mapping) and element.get("type") not in INTERACTIVE:
                        self.error(f"unsupported element type {element.get('type')!r}", *path, "elements", i)
                    else:
                        self.element(element, action_ids, *path, "elements", i)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.error("must provide at least 1 item", *path, "elements")
            else:
                if len(elements) > 10:
                    self.error("must provide at most 10 items", *path, "elements")
                for i, element in enumerate(elements):
                    if isinstance(element, Mapping) and element.get("type") == "image":
                        self.length(
                            element.get("alt_text"), 2000, *path, "elements", i, "alt_text", minimum=1
                        )
                    else:
                        self.text(element, 3000, *path, "elements", i)
        elif kind == "image":
            if block.get("image_url") is None and block.get("slack_file") is None:
                self.error("must provide either image_url or slack_file", *path)
            self.length(block.get("image_url"), 3000, *path, "image_url")
            if block.get("alt_text") is None:
                self.error("must provide a string", *path, "alt_text")
            self.length(block.get("alt_text"), 2000, *path, "alt_text", minimum=1)
            self.text(block.get("title"), 2000, *path, "title", plain=True, required=False)
        elif kind == "input":
            self.text(block.get("label"), 2000, *path, "label", plain=True)
            self.text(block.get("hint"), 2000, *path, "hint", plain=True, required=False)
            element = block.get("element")
            if isinstance(element, Mapping) and element.get("type") not in INPUT_ELEMENTS:
                self.error(f"unsupported element type {element.get('type')!r}", *path, "element", "type")
            else:
                self.element(element, action_ids, *path, "element")
        elif kind == "data_visualization":
            self.chart_block(block, path)
        elif kind == "markdown":
            if surface != "message":
                self.error("markdown blocks are only supported in messages", *path, "type")
            self.length(block.get("text"), 12_000, *path, "text", minimum=1)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN


def validate_blocks(
    blocks: Any,
    surface: Surface = "message",
    *,
    root: str = "",
) -> list[str]:
    """Slack's Block Kit checks for a message (≤50 blocks) or a modal/home view (≤100 blocks).

    Returns Slack-style error strings with JSON pointers; empty when the blocks are valid.
    """
    checker = _Checker(root)
    if not isinstance(blocks, list):
        checker.error("must provide an array", "blocks")
        return checker.errors
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        checker.error(f"must provide at most {limit} items", "blocks")
    block_ids: set[str] = set()
    charts = 0
    for index, block in enumerate(blocks):
        checker.block(block, index, surface, block_ids)
        if isinstance(block, Mapping) and block.get("type") == "data_visualization":
            charts += 1
            if charts > MAX_CHARTS:
                checker.error(f"must provide at most {MAX_CHARTS} data_visualization blocks", "blocks", index)
    return checker.errors


def validate_view(view: Any) -> list[str]:
    """Slack's checks for a modal or App Home view object (pointers under ``/view``)."""
    checker = _Checker("/view")
    if not isinstance(view, Mapping):
        checker.error("must provide an object")
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.error("must be one of modal, home", "type")
        return checker.errors
    if kind == "modal":
        checker.text(view.get("title"), 24, "title", plain=True)
        checker.text(view.get("submit"), 24, "submit", plain=True, required=False)
        checker.text(view.get("close"), 24, "close", plain=True, required=False)
        if view.get("submit") is None and input_blocks(view.get("blocks")):
            checker.error("must provide submit when the view has input blocks", "submit")
    checker.length(view.get("private_metadata"), 3000, "private_metadata")
    checker.length(view.get("callback_id"), MAX_ID, "callback_id")
    checker.length(view.get("external_id"), MAX_ID, "external_id")
    checker.errors.extend(
        validate_blocks(view.get("blocks", []), "modal" if kind == "modal" else "home", root="/view")
    )
    return checker.errors
