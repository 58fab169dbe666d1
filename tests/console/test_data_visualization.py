"""The emulator's data_visualization checks (Slack's reference limits), its per-channel chat.postMessage
limit (429 + Retry-After, bursts tolerated), saved uploads, and how the console shows charts and files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.console.blockkit import validate_blocks
from bot.console.emulator import DEFAULT_TOKEN, ManualClock, SlackEmulator
from bot.console.render import render_message


def bar(points: int = 3, series: int = 2, **chart: Any) -> dict[str, Any]:
    labels = [f"{h:02d}:00" for h in range(points)]
    return {
        "type": "data_visualization",
        "title": "Volume per hour",
        "chart": {
            "type": "bar",
            "series": [
                {
                    "name": f"S{s}",
                    "data": [{"label": label, "value": s + n} for n, label in enumerate(labels)],
                }
                for s in range(series)
            ],
            "axis_config": {"categories": labels, "x_label": "Hour", "y_label": "Conversations"},
            **chart,
        },
    }


def pie(segments: int = 3) -> dict[str, Any]:
    return {
        "type": "data_visualization",
        "title": "Outcomes",
        "chart": {"type": "pie", "segments": [{"label": f"L{n}", "value": n} for n in range(segments)]},
    }


def test_valid_charts_pass() -> None:
    assert validate_blocks([bar(), pie()]) == []
    assert validate_blocks([bar(points=20, series=6)]) == []
    line = bar()
    line["chart"]["type"] = "line"
    assert validate_blocks([line]) == []


def _with(block: dict[str, Any], change: Any) -> dict[str, Any]:
    block = copy.deepcopy(block)
    change(block)
    return block


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            _with(bar(), lambda b: b.update(title="t" * 51)),
            "must be at most 50 characters [json-pointer:/blocks/0/title]",
        ),
        (_with(bar(), lambda b: b.pop("title")), "must provide a string [json-pointer:/blocks/0/title]"),
        (_with(bar(), lambda b: b["chart"].update(type="radar")), "must be one of pie, bar, area, line"),
        (bar(series=7), "must provide between 1 and 6 items [json-pointer:/blocks/0/chart/series]"),
        (bar(points=21), "must provide between 1 and 20 items [json-pointer:/blocks/0/chart/series/0/data]"),
        (pie(segments=7), "must provide between 1 and 6 items [json-pointer:/blocks/0/chart/segments]"),
        (pie(segments=0), "must provide between 1 and 6 items [json-pointer:/blocks/0/chart/segments]"),
        (
            _with(bar(), lambda b: b["chart"].pop("axis_config")),
            "must provide an object [json-pointer:/blocks/0/chart/axis_config]",
        ),
        (
            _with(bar(), lambda b: b["chart"]["axis_config"].update(categories=["x" * 21])),
            "must be at most 20 characters [json-pointer:/blocks/0/chart/axis_config/categories/0]",
        ),
        (
            _with(bar(), lambda b: b["chart"]["series"][1].update(name="S0")),
            "series name 'S0' already exists [json-pointer:/blocks/0/chart/series/1/name]",
        ),
        (
            _with(bar(), lambda b: b["chart"]["series"][0]["data"][0].update(label="nope")),
            "must be one of axis_config.categories [json-pointer:/blocks/0/chart/series/0/data/0/label]",
        ),
        (
            _with(bar(), lambda b: b["chart"]["series"][0]["data"][0].update(value="12")),
            "must provide a number [json-pointer:/blocks/0/chart/series/0/data/0/value]",
        ),
        (
            _with(pie(), lambda b: b["chart"]["segments"][0].update(label="x" * 21)),
            "must be at most 20 characters [json-pointer:/blocks/0/chart/segments/0/label]",
        ),
        (
            _with(bar(), lambda b: b["chart"]["axis_config"].update(y_label="y" * 51)),
            "must be at most 50 characters [json-pointer:/blocks/0/chart/axis_config/y_label]",
        ),
    ],
)
def test_each_chart_limit(block: dict[str, Any], expected: str) -> None:
    errors = validate_blocks([block])
    assert any(expected in e for e in errors), errors


def test_at_most_two_charts_per_message() -> None:
    assert validate_blocks([bar(), pie()]) == []
    assert validate_blocks([bar(), pie(), bar()]) == [
        "must provide at most 2 data_visualization blocks [json-pointer:/blocks/2]"
    ]


async def test_post_message_refuses_a_bad_chart_like_slack() -> None:
    emulator = SlackEmulator()
    async with emulator.serve() as api_url:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C0DEMO", text="x", blocks=[bar(series=7)])
        assert caught.value.response["error"] == "invalid_blocks"
        await client.chat_postMessage(channel="C0DEMO", text="ok", blocks=[bar()])
    assert [m.text for m in emulator.channel_messages("C0DEMO")] == ["ok"]


async def test_post_limit_per_channel_with_a_burst_and_retry_after() -> None:
    clock = ManualClock()
    emulator = SlackEmulator(clock=clock, post_rate=0.5, post_burst=3)
    async with emulator.serve() as api_url:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        for n in range(3):  # the burst goes through
            await client.chat_postMessage(channel="C0DEMO", text=f"burst {n}")
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C0DEMO", text="too soon")
        response = caught.value.response
        assert (response.status_code, response["error"]) == (429, "ratelimited")
        assert response.headers["Retry-After"] == "2"  # one post per 2 s, in whole seconds
        await client.chat_postMessage(channel="C0GENERAL", text="another channel has its own budget")
        clock.advance(2.0)
        await client.chat_postMessage(channel="C0DEMO", text="after waiting")
        # ephemeral messages and other methods are not counted
        await client.chat_postEphemeral(channel="C0DEMO", user="U0AGENT", text="just you")
    assert [m.text for m in emulator.channel_messages("C0DEMO")] == [
        "burst 0",
        "burst 1",
        "burst 2",
        "after waiting",
    ]
    assert len(emulator.rate_limited) == 1


async def test_no_limit_when_configured_off() -> None:
    emulator = SlackEmulator(clock=ManualClock(), post_rate=None)
    async with emulator.serve() as api_url:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        for n in range(30):
            await client.chat_postMessage(channel="C0DEMO", text=f"{n}")
    assert len(emulator.channel_messages("C0DEMO")) == 30 and emulator.rate_limited == []


async def test_uploads_are_saved_and_shown_with_their_path(tmp_path: Path) -> None:
    emulator = SlackEmulator(files_dir=tmp_path / "files")
    async with emulator.serve() as api_url:
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)
        parent = await client.chat_postMessage(channel="C0DEMO", text="digest")
        await client.files_upload_v2(
            channel="C0DEMO",
            thread_ts=parent["ts"],
            content=b"\x89PNG fake",
            filename="../chart 1.png",
            title="Volume chart",
            alt_txt="Volume per hour: 3 SMS.",
        )
    (uploaded,) = emulator.files.values()
    assert uploaded.path is not None and uploaded.path.parent == (tmp_path / "files").resolve()
    assert (
        uploaded.path.name == f"{uploaded.id}-chart_1.png" and uploaded.path.read_bytes() == b"\x89PNG fake"
    )
    share = emulator.channel_messages("C0DEMO")[-1]
    assert share.thread_ts == parent["ts"]
    assert render_message(share, color=False).text == (
        f"[file: Volume chart · Volume per hour: 3 SMS. → {uploaded.path}]"
    )


def test_console_shows_a_chart_as_a_few_rows() -> None:
    text = render_message({"text": "x", "blocks": [bar(points=10, series=2)]}, color=False).text
    lines = text.splitlines()
    assert lines[0] == "[bar chart: Volume per hour]"
    assert lines[1] == "  00:00  S0 0 · S1 1"
    assert len(lines) == 1 + 8 + 1 and lines[-1] == "  …and 2 more"
    assert render_message({"text": "x", "blocks": [pie(2)]}, color=False).text.splitlines() == [
        "[pie chart: Outcomes]",
        "  L0  0",
        "  L1  1",
    ]
