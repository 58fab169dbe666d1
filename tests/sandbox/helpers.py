"""Shared helpers for the sandbox tests: anchor times, an in-process client, provider logins."""

from __future__ import annotations

import base64
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

from bench.priority import free_port
from bot.sandbox import credentials
from bot.sandbox.clock import FakeClock

# The world's anchor ("now" when it was generated); the clock starts one hour later.
ANCHOR = datetime(2025, 3, 15, tzinfo=UTC)
START = ANCHOR + timedelta(hours=1)


def make_client(app: object, clock: FakeClock | None = None, step: float = 0.25) -> httpx.AsyncClient:
    """An in-process client. With a clock, every request advances it by `step` seconds (keeps Zoom's
    per-second limits out of tests that are not about them)."""

    async def tick(request: httpx.Request) -> None:
        if clock is not None and step:
            clock.advance(seconds=step)

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://sandbox",
        event_hooks={"request": [tick]},
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def zoom_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/zoom/oauth/token",
        data={"grant_type": "account_credentials", "account_id": credentials.ZOOM_ACCOUNT_ID},
        headers={"Authorization": basic(credentials.ZOOM_CLIENT_ID, credentials.ZOOM_CLIENT_SECRET)},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def livevox_headers(
    client: httpx.AsyncClient, login: str = "JRIVERA", agent: bool = True
) -> dict[str, str]:
    response = await client.post(
        "/livevox/session/login",
        headers={"LV-Access": credentials.LIVEVOX_ACCESS_TOKEN},
        json={
            "clientName": credentials.LIVEVOX_CLIENT_NAME,
            "userName": login,
            "password": credentials.LIVEVOX_PASSWORD,
            "agent": agent,
        },
    )
    assert response.status_code == 200, response.text
    return {"LV-Session": response.json()["sessionId"]}


async def routee_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/routee/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(credentials.ROUTEE_APP_ID, credentials.ROUTEE_APP_SECRET)},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextlib.contextmanager
def running_server(app: object) -> Iterator[str]:
    """Serve `app` with uvicorn (h11) on a free port in a background thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http="h11", log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for(url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout}s")
        time.sleep(0.05)


@contextlib.contextmanager
def sandbox_process(cwd: Path, *args: str) -> Iterator[str]:
    """A real `switchboard sandbox --port N` process (a free port, extra `args`); yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    try:
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", timeout=20)
        except TimeoutError:
            process.kill()
            _, stderr = process.communicate(timeout=10)
            raise AssertionError(f"switchboard sandbox did not start: {stderr.decode()[-2000:]}") from None
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
