"""The ASGI app: POST /slack/events (commands, interactivity, events) and GET /healthz."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.container import Container

log = logging.getLogger(__name__)


def create_web_app(container: Container, bolt: AsyncApp, *, lifespan_worker: bool | None = None) -> Starlette:
    """`lifespan_worker`: open the job queue (and run an in-process worker) for the app's lifetime;
    None leaves the container's lifecycle to the caller (tests and the console manage it)."""
    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_: Request) -> Response:
        try:
            async with container.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # a health check reports, it does not raise
            log.warning("health check failed: %s", type(error).__name__)
            return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if lifespan_worker is None:
            yield
            return
        async with container.jobs.open_async():
            if lifespan_worker:
                await container.start_worker()
            try:
                yield
            finally:
                await container.aclose()

    web = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    web.state.container = container
    return web
