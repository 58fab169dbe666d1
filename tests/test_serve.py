"""`switchboard serve --port N` as a deployment runs it: a real process, real signed HTTP, and every Web API
call going to SLACK_API_URL (here the emulator)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from bench.priority import free_port
from bot.console.driver import SlackDriver
from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from bot.services.demo import TEAM_ID

SECRET = "serve-test-signing-secret"


async def test_serve_answers_signed_requests_and_calls_slack_api_url(tmp_path: Path) -> None:
    emulator = SlackEmulator(team_id=TEAM_ID)
    port = free_port()
    async with emulator.serve() as api_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "SLACK_"))}
        env |= {
            "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
            "SLACK_API_URL": api_url,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
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
            async with httpx.AsyncClient() as http:
                for _ in range(200):
                    try:
                        health = await http.get(f"{base}/healthz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                assert health.status_code == 200 and health.json()["ready"] is True
            async with SlackDriver(base, SECRET, emulator) as driver:
                unsigned = await driver.command("/lookup", "+14155550100", user="U0SUPER", bad_signature=True)
                assert unsigned.status == 401
                response = await driver.command("/lookup", "+1 415 555 0100 7d", user="U0SUPER")
                assert response.status == 200 and response.body.strip() == ""  # a quiet ack
                for _ in range(200):  # the in-process worker (SQLite) answers through the response_url
                    if any("Lookup: +1 415-555-0100" in str(p) for p in emulator.response_posts):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("no answer reached the response_url")
            assert any(
                call.method == "auth.test" for call in emulator.calls
            )  # Web API calls went to SLACK_API_URL
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), timeout=15)


async def test_serve_in_oauth_mode_installs_a_workspace_and_answers_it_with_its_token(tmp_path: Path) -> None:
    """No SLACK_BOT_TOKEN: SLACK_CLIENT_ID/SECRET/STATE_SECRET, and a workspace installs through the
    process's /slack/install, Slack's side played by the emulator at SLACK_API_URL."""
    emulator = SlackEmulator(team_id="T0SERVED", tokens=())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator.register_oauth_app("1.2", "client-secret", [f"{base}/slack/oauth_redirect"], token_rotation=True)
    emulator.next_install("U0ADMIN", "T0SERVED", team_name="Served")
    async with emulator.serve() as api_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "SLACK_"))}
        env |= {
            "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'oauth.db'}",
            "SWITCHBOARD_DEV_KEY_FILE": str(tmp_path / "dev.key"),
            "SLACK_API_URL": api_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_STATE_SECRET": "state-secret",
            "SLACK_REDIRECT_URI": f"{base}/slack/oauth_redirect",
        }
        setup = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "upgrade",
            env=env,
            cwd=tmp_path,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await setup.communicate()
        assert setup.returncode == 0, errors
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(port), env=env, cwd=tmp_path,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient() as http:
                for _ in range(200):
                    try:
                        await http.get(f"{base}/livez")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                start = await http.get(f"{base}/slack/install")
                assert start.status_code == 302 and start.headers["location"].startswith(
                    api_url[: -len("api/")]
                )
                cookie = start.headers["set-cookie"].split(";")[0]
                approved = await http.get(start.headers["location"])
                done = await http.get(approved.headers["location"], headers={"cookie": cookie})
                assert done.status_code == 200, done.text
            (token,) = emulator.tokens_of("T0SERVED")
            async with SlackDriver(base, SECRET, emulator, team_id="T0SERVED") as driver:
                response = await driver.command("/switchboard", "whoami", user="U0ADMIN")
                assert response.status == 200 and "admin" in response.text.lower()  # the installer
                await driver.open_home("U0ADMIN")
                for _ in range(200):
                    if emulator.calls_to("views.publish"):
                        break
                    await asyncio.sleep(0.05)
            assert {c.token for c in emulator.calls_to("views.publish")} == {token.token}
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), timeout=15)
