"""Items 6 and 11: bodies larger than Slack sends are refused (413) before parsing, what an answer echoes is
capped, and command text is tokenised in bounded, linear time; the server stays responsive meanwhile."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.priority import free_port
from bot.console.driver import SlackDriver
from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from bot.services.demo import TEAM_ID
from bot.slack.web import MAX_BODY_BYTES
from tests.e2e.conftest import Harness
from tests.security.conftest import post_raw

FORM = "application/x-www-form-urlencoded"


async def test_signed_body_over_the_cap_is_413_at_once(slack: Harness) -> None:
    text = "+1 415 555 0100 " + "x" * (1024 * 1024)
    started = time.monotonic()
    response = await slack.driver.command("/lookup", text, user="U0SUPER")
    assert response.status == 413
    assert time.monotonic() - started < 2
    await slack.driver.settle()
    assert slack.emulator.response_posts == []


async def test_body_over_the_cap_without_content_length_is_413(slack: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to refuse it by
        for _ in range(64):
            yield b"x" * 4096

    transport = httpx.ASGITransport(app=slack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://switchboard.local") as http:
        answer = await http.post("/slack/events", content=chunks(), headers={"Content-Type": FORM})
    assert answer.status_code == 413


async def test_declared_length_over_the_cap_is_413_unsigned(slack: Harness) -> None:
    status, _ = await post_raw(slack, "x" * (MAX_BODY_BYTES + 1), {"Content-Type": FORM})
    assert status == 413


async def test_a_40_kb_text_is_not_echoed(slack: Harness) -> None:
    pasted = "word" * 10_000  # 40 kB after the number
    response = await slack.driver.command("/lookup", f"+1 415 555 0100 {pasted}", user="U0SUPER")
    assert response.status == 200
    assert len(response.body) < 1000
    assert "word" * 50 not in response.body  # quoted back shortened, not whole


async def test_serve_refuses_10_mb_promptly_and_stays_responsive(tmp_path: Path) -> None:
    """`switchboard serve` as deployed: a signed 10 MB body is a prompt 413, health checks keep answering
    while it arrives, and SIGTERM still stops the server."""
    secret = "oversized-test-signing-secret"
    emulator = SlackEmulator(team_id=TEAM_ID)
    port = free_port()
    async with emulator.serve() as api_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "SLACK_"))}
        env |= {
            "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
            "SLACK_API_URL": api_url,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SLACK_SIGNING_SECRET": secret,
            "SWITCHBOARD_DEV_KEY_FILE": str(tmp_path / "dev.key"),
        }
        for args in (["db", "upgrade"], ["admin", "demo-seed"]):
            setup = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args, env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
            )
            _, errors = await setup.communicate()
            assert setup.returncode == 0, errors
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--port",
            str(port),
            env=env,
            cwd=tmp_path,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                for _ in range(200):
                    try:
                        await http.get("/healthz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                driver = SlackDriver(base, secret, emulator)
                body = urlencode(
                    driver.command_payload(
                        "/lookup",
                        "+1 415 555 0100 " + "x" * (10 * 1024 * 1024),
                        user="U0SUPER",
                        channel="C0DEMO",
                        response_url=emulator.new_response_url("C0DEMO", "U0SUPER"),
                        trigger_id="1.2.3",
                    )
                )
                headers = {"Content-Type": FORM, **driver.sign(body)}
                started = time.monotonic()
                big = asyncio.create_task(http.post("/slack/events", content=body.encode(), headers=headers))
                health = await http.get("/healthz")
                assert health.status_code == 200
                try:
                    answer = await big
                    assert answer.status_code == 413
                except httpx.TransportError:
                    pass  # the server may close the connection after answering 413 mid-upload
                assert time.monotonic() - started < 5
                assert (await http.get("/healthz")).status_code == 200
                await driver.aclose()
        finally:
            server.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(server.wait(), timeout=15) is not None
    assert emulator.response_posts == []
