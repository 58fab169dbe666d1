"""Inbox alerts in a deployment of real processes: one sandbox process (the LiveVox every process reads),
a web process and three workers on Postgres. Each new inbound conversation is posted exactly once however
many workers poll, and a restart of every worker (one of them killed outright) neither posts one again
nor loses one that came in while they were down."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from bench.priority import free_port
from bot.console.emulator import Message
from bot.sandbox.control import inject_inbound_over_http
from bot.sandbox.server import print_config
from bot.services.demo import CHANNEL_ID
from tests.databases import fresh_postgres, postgres_available
from tests.reliability.cluster import Cluster, cluster, eventually

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")

INBOX = "100915"


def _sandbox_env(port: int) -> dict[str, str]:
    """What `switchboard sandbox --print-config` says to set: the bot talks to the sandbox over HTTP."""
    env: dict[str, str] = {}
    for line in print_config(port=port).splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key] = value
    return env


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        str(port),
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    async def up() -> bool:
        import httpx

        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"{url}/livevox/")).status_code < 500
        except httpx.TransportError:
            return False

    try:
        await eventually(up, within=30, what="the sandbox answering")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


def _cards(running: Cluster) -> list[Message]:
    return [
        m
        for m in running.emulator.channel_messages(CHANNEL_ID, include_replies=False)
        if any(str(b.get("block_id", "")).startswith("alert:") for b in m.blocks)
    ]


def _numbers(running: Cluster) -> list[str]:
    """The customer number on each card, in posting order."""
    found = []
    for message in _cards(running):
        for block in message.blocks:
            text = str((block.get("text") or {}).get("text", ""))
            if "· +1" in text:
                found.append(text.split("· ", 1)[1].split("\n", 1)[0])
    return found


async def test_each_new_conversation_is_posted_once_across_three_workers_and_a_restart(
    tmp_path: Path, sandbox: str
) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path) as running:
            running.env |= _sandbox_env(int(sandbox.rsplit(":", 1)[1]))
            running.env["SWITCHBOARD_ALERTS_TICK_SECONDS"] = "1"
            with psycopg.connect(running.direct_url) as connection:
                connection.execute(
                    "UPDATE channel_mappings SET alerts_enabled = true, alerts_interval_seconds = 5"
                )
            await running.start_web()
            workers = [await running.start_worker() for _ in range(3)]

            async def first_round() -> bool:
                return bool(running.rows("SELECT 1 FROM inbox_polls WHERE first_polled_at IS NOT NULL"))

            await eventually(first_round, within=60, what="the inbox's first read")
            await asyncio.sleep(8)  # the demo inbox's waiting threads are posted, a card each, paced
            waiting = len(_cards(running))
            numbers = [f"+1415555{n:04d}" for n in range(301, 306)]
            for number in numbers:
                inject_inbound_over_http(sandbox, number=number, inbox=INBOX, text=f"hello from {number}")

            async def posted(count: int) -> bool:
                return len(_cards(running)) >= count

            await eventually(lambda: posted(waiting + 5), within=60, what="five new cards")
            await asyncio.sleep(8)  # a second poller posting again would show by now
            assert len(_cards(running)) == waiting + 5

            # Every worker goes: one killed outright, the others stopped. Two more customers text in
            # meanwhile; new workers start.
            workers[0].send_signal(signal.SIGKILL)
            for worker in workers[1:]:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                await worker.wait()
            later = ["+14155550311", "+14155550312"]
            for number in later:
                inject_inbound_over_http(sandbox, number=number, inbox=INBOX, text=f"hello from {number}")
            for _ in range(3):
                await running.start_worker()
            await eventually(lambda: posted(waiting + 7), within=150, what="the two cards of the downtime")
            await asyncio.sleep(8)
            assert len(_cards(running)) == waiting + 7
            shown = _numbers(running)
            for number in ("+1 415-555-0301", "+1 415-555-0311", "+1 415-555-0312"):
                assert shown.count(number) == 1, (number, shown)
            rows = running.rows("SELECT count(*) FROM inbox_threads WHERE announced = false")
            assert rows == [(0,)]
