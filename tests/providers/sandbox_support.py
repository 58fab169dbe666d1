"""The sandbox simulators behind either transport the provider clients can use in tests.

`open_sandbox("asgi")` serves a fresh `create_app()` in-process through `httpx.ASGITransport`;
`open_sandbox("uvicorn")` serves the same kind of app with a real uvicorn server on 127.0.0.1 (a free port,
an asyncio task in the test's own event loop) and the clients talk to it over TCP with a plain
`httpx.AsyncClient`. Either way every request the clients send is recorded by an httpx event hook.

One `FakeClock` drives both sides on both transports: the clients' injected `sleep` advances the clock the
simulators read, so rate-limit windows and token lifetimes play out without waiting, and the world (anchored
at `ANCHOR`) looks the same to every test whatever the transport.
"""

from __future__ import annotations

import asyncio
import functools
import pickle
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import uvicorn

from bot.providers import LiveVoxClient, RetryPolicy, RouteeClient, ZoomClient
from bot.sandbox import credentials
from bot.sandbox._common import SandboxStarlette
from bot.sandbox.app import create_app
from bot.sandbox.clock import FakeClock
from bot.sandbox.faults import FaultInjector
from bot.sandbox.livevox import LiveVoxState
from bot.sandbox.world import Demo, World

Transport = Literal["asgi", "uvicorn"]
TRANSPORTS: tuple[Transport, ...] = ("asgi", "uvicorn")
ANCHOR = datetime(2025, 3, 15, tzinfo=UTC)
PATIENT = RetryPolicy(max_retries=8, backoff_base=0.2, backoff_max=2.0)
ASGI_BASE = "http://sandbox"


@dataclass
class HttpSandbox:
    """A running sandbox, the HTTP client pointed at it and every request that client sent."""

    transport: Transport
    app: SandboxStarlette
    world: World
    clock: FakeClock
    http: httpx.AsyncClient
    base_url: str
    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def demo(self) -> Demo:
        return self.world.demo

    @property
    def livevox_state(self) -> LiveVoxState:
        state: LiveVoxState = self.app.state.livevox
        return state

    def injector(self, provider: str) -> FaultInjector:
        injector: FaultInjector = self.app.state.injectors[provider]
        return injector

    def sent(self, path: str, method: str | None = None) -> list[httpx.Request]:
        """The recorded requests whose URL path is `path` (and method, when given)."""
        return [
            r for r in self.requests if r.url.path == path and (method is None or r.method == method.upper())
        ]

    # -- clients

    def now(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    def common(self, **kwargs: Any) -> dict[str, Any]:
        return {"http_client": self.http, "sleep": self.sleep, "clock": self.now, "retry": PATIENT, **kwargs}

    def zoom(self, **kwargs: Any) -> ZoomClient:
        return ZoomClient(
            account_id=credentials.ZOOM_ACCOUNT_ID,
            client_id=credentials.ZOOM_CLIENT_ID,
            client_secret=credentials.ZOOM_CLIENT_SECRET,
            api_url=f"{self.base_url}/zoom/v2",
            token_url=f"{self.base_url}/zoom/oauth/token",
            **self.common(**kwargs),
        )

    def livevox(self, login: str | None = None, *, agent: bool = True, **kwargs: Any) -> LiveVoxClient:
        return LiveVoxClient(
            access_token=credentials.LIVEVOX_ACCESS_TOKEN,
            client_name=credentials.LIVEVOX_CLIENT_NAME,
            username=login or self.demo.agent_login,
            password=credentials.LIVEVOX_PASSWORD,
            agent=agent,
            base_url=f"{self.base_url}/livevox",
            **self.common(**kwargs),
        )

    def routee(self, **kwargs: Any) -> RouteeClient:
        return RouteeClient(
            app_id=credentials.ROUTEE_APP_ID,
            app_secret=credentials.ROUTEE_APP_SECRET,
            api_url=f"{self.base_url}/routee/connect",
            token_url=f"{self.base_url}/routee/auth/oauth/token",
            **self.common(**kwargs),
        )


@functools.cache
def _pristine_world() -> bytes:
    return pickle.dumps(World.generate(seed=7, volume=1, now=ANCHOR))


def fresh_world() -> World:
    """The seed-7, volume-1 world anchored at `ANCHOR`, generated once and copied for every sandbox."""
    world: World = pickle.loads(_pristine_world())  # noqa: S301 - our own bytes, made just above
    return world


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every test client (building one per client costs ~80 ms; none is used here)."""
    return ssl.create_default_context()


@asynccontextmanager
async def serve_with_uvicorn(app: SandboxStarlette) -> AsyncIterator[str]:
    """Run `app` with uvicorn on 127.0.0.1 (a free port) in the current event loop; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", http="h11", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()  # raises what made the server fail
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@asynccontextmanager
async def open_sandbox(transport: Transport, *, faults: str | None = None) -> AsyncIterator[HttpSandbox]:
    """A fresh world (seed 7, volume 1, anchored at `ANCHOR`) behind the given transport."""
    world = fresh_world()
    clock = FakeClock(ANCHOR + timedelta(hours=1))
    app = create_app(world=world, clock=clock, faults=faults)
    requests: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request)

    hooks = {"request": [record]}
    if transport == "asgi":
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), event_hooks=hooks) as http:
            yield HttpSandbox(transport, app, world, clock, http, ASGI_BASE, requests)
        return
    async with (
        serve_with_uvicorn(app) as base_url,
        httpx.AsyncClient(event_hooks=hooks, timeout=10.0, verify=_tls()) as http,
    ):
        yield HttpSandbox(transport, app, world, clock, http, base_url, requests)
