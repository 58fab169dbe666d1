"""The ASGI app: POST /slack/events (commands, interactivity, events), GET /livez (liveness) and GET
/readyz = /healthz (readiness: the database answers); in OAuth mode also Bolt's GET /slack/install and
GET /slack/oauth_redirect (bot/slack/oauth.py).

Every POST passes `SlackRequestGuard` before Bolt sees it: the body is read with a size bound and its
signature checked, so an oversized or unsigned request is refused without being parsed and nothing is
ever done (or sent to a response_url) on its behalf.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler, to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.container import Container
from bot.errors import ConfigError
from bot.jobs.metrics import queue_collector
from bot.jobs.queue import is_in_memory
from bot.slack.app import SIGNATURE_CHECKED
from bot.slack.reply import trust_slack_api_url

log = logging.getLogger(__name__)

# Slack's own requests are small: a slash command is its text (a few kB at most) plus about 600 bytes of
# fields, an interaction payload carries the message or view it came from (Switchboard's stay well under
# 30 kB), and the events Switchboard subscribes to are a few hundred bytes. 64 KiB leaves room for all of
# them and refuses anything bigger before a byte of it is parsed.
MAX_BODY_BYTES = 64 * 1024
# Slack's documented replay window: a signature older (or newer) than five minutes is refused.
MAX_CLOCK_SKEW = 5 * 60
# A health probe answers within this many seconds, whatever the database does.
HEALTH_TIMEOUT = 2.0
# A Unix time in whole seconds and nothing else: slack_sdk's verifier calls int() on the header, which
# raises on "abc" or "1.5", and accepts " 17", "+17", "1_7" or Arabic-Indic digits.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SlackRequestGuard:
    """Checks a request the way Slack signs it, before anything reads what is inside."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.clock = clock

    def is_signed(self, body: bytes, headers: Mapping[str, str]) -> bool:
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not _TIMESTAMP.fullmatch(timestamp) or not signature:
            return False
        if abs(self.clock() - int(timestamp)) > MAX_CLOCK_SKEW:
            return False
        try:
            text_body = body.decode("utf-8")  # Slack sends UTF-8; anything else is not from Slack
        except UnicodeDecodeError:
            return False
        return self.verifier.is_valid(body=text_body, timestamp=timestamp, signature=signature)


async def read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is (or says it is) larger than `limit`: it is read chunk by chunk and
    dropped at the first byte over, so a 10 MB upload costs 64 KiB of memory and no parsing."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_web_app(
    container: Container,
    bolt: AsyncApp,
    *,
    lifespan_worker: bool | None = None,
    signing_secret: str | None = None,
) -> Starlette:
    """`lifespan_worker`: open the job queue (and run an in-process worker) for the app's lifetime;
    None leaves the container's lifecycle to the caller (tests and the console manage it).
    `signing_secret`: the secret `bolt` was created with, when it is not SLACK_SIGNING_SECRET (console)."""
    handler = AsyncSlackRequestHandler(bolt)
    settings = container.settings
    secret = signing_secret or (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if not secret:
        raise ConfigError("SLACK_SIGNING_SECRET is required to serve Slack requests")
    guard = SlackRequestGuard(secret)
    # Follow-ups answer through response_urls; besides Slack's own host, the emulator SLACK_API_URL points
    # at (console, tests) may serve them.
    trust_slack_api_url(settings.slack_api_url)

    async def events(request: Request) -> Response:
        arrived = time.perf_counter()
        body = await read_bounded(request, MAX_BODY_BYTES)
        if body is None:
            return PlainTextResponse("Request too large for a Slack request.", status_code=413)
        if not guard.is_signed(body, request.headers):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            # Bolt's request built here from the body already read, as its Starlette adapter builds it
            # (which would read the body again, through a second Request). Signed: Bolt need not check
            # the same HMAC again.
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.scope.get("query_string", b"").decode("latin-1") or None,
                headers=request.headers,  # type: ignore[arg-type]  # a Mapping of str, as Bolt reads it
                context={SIGNATURE_CHECKED: True},
            )
            response = to_starlette_response(await bolt.async_dispatch(bolt_request))
        except (ValueError, RecursionError):
            # Signed yet unparseable (Bolt's JSON/form parsing raised): answer plainly, without a traceback.
            log.warning("a signed Slack request could not be parsed")
            return PlainTextResponse("Malformed Slack request.", status_code=400)
        # Only signed requests Bolt answered are acks; the kind is read after the clock stops.
        metrics.observe_ack(metrics.ack_kind(body), time.perf_counter() - arrived)
        return response

    async def database_ok() -> bool:
        # Both ways in: the app's own pool and the job queue's (procrastinate's pool reconnects on a
        # backoff of its own, so it may come back a few seconds after the database does).
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with container.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                if not is_in_memory(container.queue):
                    await container.queue.connector.execute_query_one_async("SELECT 1 AS one")
        except Exception as error:  # a health check reports, it does not raise
            log.warning("health check: database unreachable (%s)", type(error).__name__)
            return False
        return True

    async def livez(_: Request) -> Response:
        # Liveness: the process answers. A database outage is not a reason to restart it: it keeps
        # acking Slack with words about the outage and recovers by itself when the database returns.
        return JSONResponse({"live": True})

    async def readyz(_: Request) -> Response:
        # Readiness: whether requests can be served fully right now (the database answers).
        ready = await database_ok()
        body = {"live": True, "ready": ready, "database": "ok" if ready else "unreachable"}
        return JSONResponse({"ok": ready, **body}, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if lifespan_worker is None:
            yield
            return
        async with container.queue.open_async():
            if lifespan_worker:
                await container.start_worker()
            try:
                yield
            finally:
                await container.aclose()

    async def oauth(request: Request) -> Response:
        # Bolt's own flow: /slack/install sets the state cookie and redirects to Slack's authorize page;
        # /slack/oauth_redirect checks the state (cookie, signature, single use, expiry) and the code.
        return await handler.handle(request)

    oauth_routes = []
    if bolt.oauth_flow is not None:
        oauth_routes = [
            Route(bolt.oauth_flow.install_path, oauth, methods=["GET"]),
            Route(bolt.oauth_flow.redirect_uri_path, oauth, methods=["GET"]),
        ]

    web = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            *oauth_routes,
            Route("/healthz", readyz, methods=["GET"]),  # readiness, under its conventional name
            Route("/readyz", readyz, methods=["GET"]),
            Route("/livez", livez, methods=["GET"]),
            metrics_route(container),
        ],
        lifespan=lifespan,
    )
    web.state.container = container
    return web


def metrics_route(container: Container) -> Route:
    """GET /metrics: the process's Prometheus metrics and the job queue's gauges, sampled now (bounded
    by a timeout; a database outage shows as `switchboard_job_queue_up 0`, never as a failed scrape)."""

    async def metrics_endpoint(_: Request) -> Response:
        queue = await queue_collector(container.queue, container.jobs.kinds)
        return Response(metrics.exposition([queue]), media_type=metrics.CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics_endpoint, methods=["GET"])


def metrics_app(container: Container) -> Starlette:
    """Only GET /metrics: what `switchboard worker` serves on SWITCHBOARD_METRICS_PORT."""
    return Starlette(routes=[metrics_route(container)])


class _MetricsServer(uvicorn.Server):
    """uvicorn without its signal handlers: the worker process owns SIGTERM and SIGINT (it drains on them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_metrics(container: Container, *, host: str, port: int | None) -> AsyncIterator[None]:
    """Serve `metrics_app` on host:port in this event loop while inside; nothing when `port` is None.

    The socket is bound here, so a port already in use is a clear `ConfigError` at start-up rather than
    uvicorn's `sys.exit` from inside a task."""
    if port is None:
        yield
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family)
    except OSError as error:
        raise ConfigError(
            f"SWITCHBOARD_METRICS_PORT: cannot listen on {host}:{port} ({error.strerror})"
        ) from None
    server = _MetricsServer(
        uvicorn.Config(metrics_app(container), log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]), name="switchboard-metrics")
    log.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()
