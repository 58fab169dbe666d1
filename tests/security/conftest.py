"""Security tests drive the real app over HTTP as Slack (or an attacker) would, on every backend, and run
an HTTP sink: a URL of the attacker's choosing, which must never hear from the app."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from tests.databases import backends, fresh_database
from tests.e2e.conftest import Harness, _harness


@dataclass
class Sink:
    """Records every request that reaches it; `url` is where a forged payload points the app."""

    url: str = ""
    received: list[tuple[str, str, bytes]] = field(default_factory=list)  # (method, path, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.received.append((request.method, request.url.path, await request.body()))
        await PlainTextResponse("ok")(scope, receive, send)


@contextlib.asynccontextmanager
async def serve_sink() -> AsyncIterator[Sink]:
    sink = Sink()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(sink, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        sink.url = f"http://127.0.0.1:{port}"
        yield sink
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    async with serve_sink() as running:
        yield running


@pytest.fixture(params=backends())
async def slack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """The e2e harness (signed HTTP, emulated Slack, sandbox providers) on SQLite and, when configured,
    on Postgres: deliveries are claimed in the database, so both must hold."""
    with fresh_database(request.param, tmp_path) as url:
        async with _harness(url) as harness:
            yield harness


@pytest.fixture(autouse=True)
def _only_this_tests_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """response_url origins trusted by earlier tests' emulators stay out: the sink may reuse their port."""
    from bot.slack import reply

    monkeypatch.setattr(reply, "_trusted", {reply.SLACK_RESPONSE_ORIGIN})


async def post_raw(harness: Harness, body: bytes | str, headers: dict[str, str]) -> tuple[int, str]:
    """POST to /slack/events with exactly these headers (no signing added)."""
    import httpx

    content = body.encode() if isinstance(body, str) else body
    transport = httpx.ASGITransport(app=harness.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://switchboard.local") as http:
        answer = await http.post("/slack/events", content=content, headers=headers)
    return answer.status_code, answer.text
