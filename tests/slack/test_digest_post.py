"""Posting a digest against the local Slack emulator over real HTTP: the message, its chart in the
thread with alt text, Slack's 429 + Retry-After (waited out, posted once) and per-channel pacing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from bot.console.render import render_message
from bot.db.rate_budget import PostgresRateBudget
from bot.db.session import create_engine
from bot.providers import RateLimit, RateLimiterRegistry
from bot.slack.digests.blocks import digest_message
from bot.slack.digests.chart import alt_text, volume_chart
from bot.slack.digests.post import post_digest
from bot.slack.posting import ChannelPacer, post_note
from tests.databases import fresh_postgres, postgres_available
from tests.slack.test_digest_blocks import data

CHANNEL = "C0DEMO"
MESSAGE: dict[str, Any] = {
    "text": "Daily digest · #demo: 3 SMS in",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*SMS*: 3 in"}}],
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
UNPACED = RateLimit(per_second=None)  # a pacer that never waits: the emulator alone limits


@asynccontextmanager
async def slack(**options: Any) -> AsyncIterator[tuple[SlackEmulator, AsyncWebClient]]:
    emulator = SlackEmulator(**options)
    async with emulator.serve() as api_url:
        yield emulator, AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url)


def pacer(limit: RateLimit, sleeps: list[float] | None = None) -> ChannelPacer:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        await asyncio.sleep(seconds)

    return ChannelPacer("T0SWITCH", RateLimiterRegistry(), limit=limit, sleep=sleep)


def posted(emulator: SlackEmulator, text: str = MESSAGE["text"]) -> list[Any]:
    return [m for m in emulator.channel_messages(CHANNEL) if m.text == text]


async def test_digest_and_its_chart_in_the_thread_with_alt_text(tmp_path: Any) -> None:
    async with slack(files_dir=tmp_path) as (emulator, client):
        ts = await post_digest(
            client,
            CHANNEL,
            MESSAGE,
            chart=PNG,
            filename="digest-2026-12-01.png",
            alt_text="Volume per hour: 3 SMS and 0 calls.",
            pace=pacer(RateLimit(per_second=1.0)),
        )
    (digest,) = posted(emulator)
    assert digest.ts == ts and digest.blocks[0]["text"]["text"] == "*SMS*: 3 in"
    (uploaded,) = emulator.files.values()
    assert (uploaded.data, uploaded.alt_txt, uploaded.completed) == (
        PNG,
        "Volume per hour: 3 SMS and 0 calls.",
        True,
    )
    (share,) = [m for m in emulator.thread(CHANNEL, ts) if m.files]
    assert share.thread_ts == ts and share.files[0]["name"] == "digest-2026-12-01.png"
    assert (
        uploaded.path is not None and uploaded.path.read_bytes() == PNG and uploaded.path.parent == tmp_path
    )


async def test_429_waits_retry_after_and_posts_exactly_once() -> None:
    async with slack(post_rate=1.0, post_burst=1) as (emulator, client):
        await client.chat_postMessage(channel=CHANNEL, text="someone else's post")  # the channel's one slot
        sleeps: list[float] = []
        started = time.monotonic()
        ts = await post_note(client, CHANNEL, MESSAGE, pacer(UNPACED, sleeps))
        elapsed = time.monotonic() - started
    refused = emulator.rate_limited
    assert [c.method for c in refused] == ["chat.postMessage"]
    assert refused[0].headers == {"Retry-After": "1"} and refused[0].response == {
        "ok": False,
        "error": "ratelimited",
    }
    assert sleeps == [1.0] and elapsed >= 0.9
    (digest,) = posted(emulator)
    assert digest.ts == ts


async def test_a_long_retry_after_is_not_waited_out() -> None:
    async with slack(post_rate=0.001, post_burst=1) as (emulator, client):
        await client.chat_postMessage(channel=CHANNEL, text="first")
        with pytest.raises(SlackApiError) as caught:
            await post_note(client, CHANNEL, MESSAGE, pacer(UNPACED))
    assert caught.value.response.status_code == 429
    assert posted(emulator) == [] and len(emulator.rate_limited) == 1


@pytest.mark.parametrize(
    ("limit", "burst", "expect_refusals"),
    [
        # the pacer keeps under the emulator's limit: no 429 at all. Under it, not at it: paced at exactly
        # the emulator's rate, a post delayed in transit on a busy machine lets the next one arrive less
        # than 1/rate after it, and the emulator (as Slack would) refuses it (CI, stop 21)
        (RateLimit(per_second=4.0), 1, False),
        # no pacing: the emulator refuses past its burst and each refused post waits and goes once
        (UNPACED, 2, True),
    ],
)
async def test_posts_to_one_channel_are_spaced(limit: RateLimit, burst: int, expect_refusals: bool) -> None:
    count, rate = 6, 5.0
    async with slack(post_rate=rate, post_burst=burst) as (emulator, client):
        pace = pacer(limit)
        started = time.monotonic()
        for n in range(count):
            await post_note(client, CHANNEL, {"text": f"note {n}"}, pace)
        elapsed = time.monotonic() - started
    assert [m.text for m in emulator.channel_messages(CHANNEL)] == [f"note {n}" for n in range(count)]
    assert elapsed >= (count - burst) / rate * 0.95
    assert bool(emulator.rate_limited) is expect_refusals


async def test_a_failed_chart_upload_does_not_fail_the_posted_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    async with slack() as (emulator, client):

        async def broken(**_: Any) -> Any:
            raise ConnectionResetError("the upload host hung up")

        monkeypatch.setattr(client, "files_upload_v2", broken)
        ts = await post_digest(
            client, CHANNEL, MESSAGE, chart=PNG, filename="d.png", alt_text="a", pace=pacer(UNPACED)
        )
    (digest,) = posted(emulator)
    assert digest.ts == ts and emulator.files == {}


def test_pacer_key_is_per_workspace_and_channel() -> None:
    seen: list[tuple[str, str, str]] = []

    class Recording(RateLimiterRegistry):
        async def reserve(self, key: tuple[str, str, str], limit: RateLimit, now: float) -> float:
            seen.append(key)
            return 0.0

    asyncio.run(ChannelPacer("T1", Recording()).wait("C9"))
    assert seen == [("slack", "T1", "chat:C9")]


async def test_two_workers_share_a_channels_pace_on_postgres() -> None:
    """Two processes' pacers (each with its own engine and PostgresRateBudget) take slots from one
    per-channel budget: together they keep to the channel's rate, and Slack refuses nothing."""
    if not postgres_available():
        pytest.skip("needs SWITCHBOARD_TEST_DATABASE_URL (CI sets it)")
    limit = RateLimit(per_second=4.0)
    with fresh_postgres() as url:
        engines = [create_engine(url), create_engine(url)]
        try:
            async with slack(post_rate=5.0, post_burst=2) as (emulator, client):
                pacers = [ChannelPacer("T0SWITCH", PostgresRateBudget(e), limit=limit) for e in engines]

                async def worker(pace: ChannelPacer, name: str) -> None:
                    for n in range(3):
                        await post_note(client, CHANNEL, {"text": f"{name} {n}"}, pace)

                started = time.monotonic()
                await asyncio.gather(worker(pacers[0], "a"), worker(pacers[1], "b"))
                elapsed = time.monotonic() - started
        finally:
            for engine in engines:
                await engine.dispose()
    assert sorted(m.text for m in emulator.channel_messages(CHANNEL)) == [
        f"{w} {n}" for w in "ab" for n in range(3)
    ]
    assert emulator.rate_limited == []
    assert limit.rate is not None
    assert elapsed >= 5 / limit.rate * 0.9  # six posts, one slot each: five gaps


async def test_a_whole_digest_through_the_emulator_reads_in_the_console(tmp_path: Any) -> None:
    """The real message (validated by the emulator over HTTP) and the real PNG in its thread; the console
    shows the chart's rows and the path of the saved PNG."""
    value = data()
    message = digest_message(
        value,
        title="Daily digest · #demo",
        schedule="daily 09:00",
        zone="America/New_York",
        sections=["sms", "calls", "delivery", "threads"],
        late=False,
        manual=True,
    )
    async with slack(files_dir=tmp_path) as (emulator, client):
        ts = await post_digest(
            client,
            CHANNEL,
            message,
            chart=volume_chart(value.volume, title="Volume per hour"),
            filename="digest.png",
            alt_text=alt_text(value.volume, title="Volume per hour"),
            pace=pacer(RateLimit(per_second=1.0)),
        )
    digest, share = emulator.thread(CHANNEL, ts)
    shown = render_message(digest, color=False).text
    assert "== Daily digest · #demo ==" in shown and "[bar chart: Volume per hour]" in shown
    assert "Run now, outside the schedule." in shown
    (uploaded,) = emulator.files.values()
    assert uploaded.path is not None and uploaded.path.read_bytes().startswith(b"\x89PNG")
    assert render_message(share, color=False).text.endswith(f"→ {uploaded.path}]")
