"""A deployment in miniature, as real processes: `switchboard serve` web processes and `switchboard worker`
workers on one Postgres database of the test's own, the Slack emulator over real HTTP in the test's loop,
and (optionally) a TCP proxy in front of Postgres that the test can cut to make the database unreachable
without touching the machine's server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.priority import free_port
from bot.console.driver import SlackDriver
from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from bot.services.demo import TEAM_ID

SECRET = "reliability-signing-secret"


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within:.0f} s: {what}")


class PostgresProxy:
    """Forwards TCP to the real Postgres; `cut()` refuses new connections and drops open ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def restore(self) -> None:
        await self.start()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._links -= {writer, up_writer}


@dataclass
class Cluster:
    database_url: str  # what the processes use (through the proxy when there is one)
    direct_url: str  # what the test uses to look at rows
    emulator: SlackEmulator
    api_url: str
    workdir: Path
    env: dict[str, str]
    webs: list[tuple[asyncio.subprocess.Process, int]] = field(default_factory=list)
    workers: list[asyncio.subprocess.Process] = field(default_factory=list)
    proxy: PostgresProxy | None = None

    async def _spawn(self, *args: str) -> asyncio.subprocess.Process:
        # Each process logs to a file of its own in the test's directory (kept for a failing test's reader).
        path = self.workdir / f"{args[0]}-{len(self.webs) + len(self.workers)}.log"
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args, env=self.env, cwd=self.workdir, stdout=log, stderr=log
            )
        finally:
            os.close(log)  # the child has its own copy

    async def start_web(self) -> str:
        port = free_port()
        process = await self._spawn("serve", "--port", str(port), "--no-worker")
        self.webs.append((process, port))
        base = f"http://127.0.0.1:{port}"

        async def up() -> bool:
            try:
                async with httpx.AsyncClient() as http:
                    return (await http.get(f"{base}/livez")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(up, within=30, what="a web process answering /livez")
        return base

    async def start_worker(self) -> asyncio.subprocess.Process:
        process = await self._spawn("worker")
        self.workers.append(process)
        return process

    def driver(self, base: str) -> SlackDriver:
        return SlackDriver(base, SECRET, self.emulator)

    def rows(self, query: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.direct_url) as connection:
            return list(connection.execute(query).fetchall())

    def answers(self, needle: str) -> list[str]:
        return [str(post.body) for post in self.emulator.response_posts if needle in str(post.body)]

    async def stop(self) -> None:
        for process in [p for p, _ in self.webs] + self.workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in [p for p, _ in self.webs] + self.workers:
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()


def _process_url(direct_url: str, proxy: PostgresProxy | None) -> str:
    if proxy is None:
        return direct_url
    return make_url(direct_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def cluster(
    database_url: str, workdir: Path, *, faults: str | None = None, proxied: bool = False
) -> AsyncIterator[Cluster]:
    """Processes for `database_url` (migrated): set up with `db upgrade` and `admin demo-seed`."""
    direct = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    proxy = None
    if proxied:
        proxy = PostgresProxy(make_url(database_url).port or 5432)
        await proxy.start()
    emulator = SlackEmulator(team_id=TEAM_ID)
    async with emulator.serve() as api_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "SLACK_"))}
        env |= {
            "SWITCHBOARD_DATABASE_URL": _process_url(database_url, proxy),
            "SLACK_API_URL": api_url,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            # Dead workers are found within seconds here (production: 10 s heartbeats, 30 s).
            "SWITCHBOARD_WORKER_HEARTBEAT_SECONDS": "1",
            "SWITCHBOARD_WORKER_STALLED_AFTER_SECONDS": "3",
            "SWITCHBOARD_WORKER_SHUTDOWN_SECONDS": "10",
        }
        if faults:
            env["SWITCHBOARD_SANDBOX_FAULTS"] = faults
        if os.environ.get("RELIABILITY_DEBUG"):
            env["SWITCHBOARD_LOG_LEVEL"] = "DEBUG"
        setup = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "admin",
            "demo-seed",
            env=env,
            cwd=workdir,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await setup.communicate()
        assert setup.returncode == 0, errors
        # Sends must not depend on the hour the suite runs at: the demo team texts at any time.
        with psycopg.connect(direct) as connection:
            connection.execute(
                "UPDATE workspaces SET send_window_start = 0, send_window_end = 1440, send_days = '1234567' "
                "WHERE team_id = %s",
                (TEAM_ID,),
            )
        running = Cluster(
            _process_url(database_url, proxy), direct, emulator, api_url, workdir, env, proxy=proxy
        )
        try:
            yield running
        finally:
            await running.stop()
            if proxy is not None:
                await proxy.cut()
