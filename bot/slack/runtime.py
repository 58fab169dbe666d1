"""Long-running entry points: HTTP server, Socket Mode, job worker."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

import uvicorn
from starlette.types import ASGIApp

from bot.container import Container, running
from bot.errors import ConfigError
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.reply import trust_slack_api_url
from bot.slack.web import create_web_app, serve_metrics

log = logging.getLogger(__name__)


def _require_slack(settings: Settings, *, socket: bool = False) -> None:
    # OAuth mode: each workspace's token comes from its installation (SLACK_CLIENT_ID/SECRET/STATE_SECRET,
    # all three checked by Settings), not from SLACK_BOT_TOKEN.
    needed = {} if settings.oauth_mode else {"SLACK_BOT_TOKEN": settings.slack_bot_token}
    if socket:
        needed["SLACK_APP_TOKEN"] = settings.slack_app_token
    else:
        needed["SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    missing = [name for name, value in needed.items() if value is None]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set (see README: Installing in Slack)")


def serve(settings: Settings, *, host: str, port: int, worker: bool | None) -> None:
    """HTTP mode. The in-process worker runs by default on SQLite (jobs are in memory there)."""
    _require_slack(settings)
    in_process = settings.is_sqlite if worker is None else worker
    container = Container(settings)
    web = create_web_app(container, create_app(container), lifespan_worker=in_process)
    log.info("serving Slack on http://%s:%d/slack/events (in-process worker: %s)", host, port, in_process)
    run_http(web, host=host, port=port)


def run_http(app: ASGIApp, *, host: str, port: int) -> None:
    """Serve `app` as production does: one uvicorn worker, uvicorn's loop and HTTP implementations (uvloop
    and httptools when installed), no access log. bench/ack.py serves the apps it compares with through
    this too, so they differ only in the app.

    Everything built so far (modules, the app, its caches) lives as long as the process: frozen out of
    the garbage collector's reach, its full collections stop walking it again and again under load (in
    the ack benchmark they were an eighth of a busy web process's CPU, and the pauses land on acks)."""
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)


# Bolt serves /slack/install and /slack/oauth_redirect over HTTP only, and an installer's browser must reach
# them at SLACK_REDIRECT_URI: OAuth needs the public URL that Socket Mode exists to do without. Refused at
# start-up rather than run with an install link that leads nowhere.
SOCKET_WITH_OAUTH = (
    "Socket Mode cannot serve the OAuth install (/slack/install, /slack/oauth_redirect): run `switchboard "
    "serve` at a public HTTPS address for OAuth mode, or unset SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
    "SLACK_STATE_SECRET and set SLACK_BOT_TOKEN to use Socket Mode with one workspace"
)


def socket_mode(settings: Settings) -> None:
    """Socket Mode for development: no public URL needed; jobs run in-process. Single-token mode only."""
    if settings.oauth_mode:
        raise ConfigError(SOCKET_WITH_OAUTH)
    _require_slack(settings, socket=True)
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    async def main() -> None:
        trust_slack_api_url(settings.slack_api_url)
        async with running(settings, worker=True) as container:
            assert settings.slack_app_token is not None
            handler = AsyncSocketModeHandler(
                create_app(container, socket_mode=True),
                settings.slack_app_token.get_secret_value(),
            )
            await handler.start_async()  # type: ignore[no-untyped-call]

    asyncio.run(main())


def work(settings: Settings) -> None:
    """The durable job worker (Postgres)."""
    if settings.is_sqlite:
        raise ConfigError(
            "the job worker needs Postgres (SWITCHBOARD_DATABASE_URL=postgresql+psycopg://…); "
            "on SQLite, jobs run inside `switchboard serve`"
        )

    async def main() -> None:
        trust_slack_api_url(settings.slack_api_url)  # follow-ups answer through response_urls from here
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with (
            running(settings, worker=True) as container,
            # The worker has no web server: its metrics are served only when a port is set.
            serve_metrics(container, host=settings.metrics_host, port=settings.metrics_port),
        ):
            log.info(
                "worker started (concurrency %d, graceful shutdown %.0f s)",
                settings.worker_concurrency,
                settings.worker_shutdown_seconds,
            )
            assert container.worker is not None
            await stop.wait()
            # Drain: take no new job, let the running ones finish (up to the graceful timeout); leaving
            # `running` stops the worker that way. A job still running then is cut short: read-only work
            # goes back to the queue, a change is reported as "outcome unknown".
            log.info("worker stopping: finishing running jobs")
        log.info("worker stopped")

    asyncio.run(main())
