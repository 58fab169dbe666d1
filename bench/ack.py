"""How fast Slack gets its ack from Switchboard, against a bare Bolt app, under concurrent load.

Three apps, each served by real uvicorn in its own process with the same settings (one worker, the same
loop and HTTP implementation: `bot.slack.runtime.run_http`) on 127.0.0.1:

- `starlette`: a plain Starlette endpoint answering 200. It shows what the load client can drive at all:
  if it were no faster than the others, the client would be the bottleneck.
- `bolt`: a bare Bolt `AsyncApp` (signature verification on, single-workspace token) behind slack_bolt's
  `AsyncSlackRequestHandler` in Starlette, with one slash-command listener that only calls `ack()`.
- `switchboard`: `switchboard serve` on a database made for the run (Postgres when
  SWITCHBOARD_TEST_DATABASE_URL is set, else a SQLite file; the output says which), migrated with
  `switchboard db upgrade` and seeded with `switchboard admin demo-seed`; no worker, so a `/lookup` only
  acks and queues its job, which is what is measured.

The load client (this process, aiohttp, at most `concurrency` requests in flight) sends slash commands
signed the way Slack signs them, each with a body of its own (a fresh trigger_id and response_url), so
Switchboard's replay check sees every one as a new delivery: `/switchboard help` to all three apps and
`/lookup +1 415 555 0100` to Switchboard (`switchboard_lookup`). Latency is from sending a request to
having read its whole answer. Apps are measured in turns, a few rounds each, so that the neighbours' noise
falls on all of them alike; each turn begins with unmeasured requests (two per connection, 50 at least) on
the connections its measured requests then use.

ratio = Switchboard's p99 / bare Bolt's p99 at the same concurrency; the goal is <= 1.10.

Under load a one-process server is CPU-bound, so its p99 follows the CPU it spends per request. Each app's
figures therefore also give that CPU (`server_cpu_ms`: the server process's user + system time over its
turns, divided by the requests it was sent, warm-up included) and, for Switchboard, the CPU of the Postgres
backends serving the run's database (`postgres_cpu_ms`; Linux only, None elsewhere or on SQLite). The
`cpu_ratio_*` figures are Switchboard's server + database CPU per request over bare Bolt's: steadier than
the p99 ratios from run to run, and what a p99 ratio at 50 or 200 in flight comes close to.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.common import emit
from bench.priority import free_port
from bot.console.driver import SlackDriver
from bot.console.emulator import DEFAULT_TOKEN, SlackEmulator
from bot.crypto import generate_key
from bot.services.demo import SUPERVISOR, TEAM_ID

GOAL = 1.10
CONCURRENCY = (1, 50, 200)
SECRET = "bench-ack-signing-secret"  # noqa: S105 - made up for the run
LOOKUP_TEXT = "+1 415 555 0100"
EVENTS_PATH = "/slack/events"
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------- the apps
def starlette_app() -> Starlette:
    async def events(_: Request) -> Response:
        return Response(status_code=200)

    return Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"])])


def bolt_app(api_url: str) -> Starlette:
    # Bolt's defaults otherwise: process_before_response=False (ack() is polled for every 10 ms).
    bolt = AsyncApp(client=AsyncWebClient(token=DEFAULT_TOKEN, base_url=api_url), signing_secret=SECRET)

    @bolt.command(re.compile(r"^/"))
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"])])


def serve_bench_app(kind: str, port: int, api_url: str) -> None:
    """The server process of `starlette` or `bolt` (Switchboard's is `switchboard serve`)."""
    from bot.slack.runtime import run_http

    run_http(starlette_app() if kind == "starlette" else bolt_app(api_url), host="127.0.0.1", port=port)


# ------------------------------------------------------------------------------------- processes
def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "SLACK_"))}
    # The servers run in the run's own directory; `bench` is imported from this checkout.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def _run(args: Sequence[str], env: dict[str, str], cwd: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args[2:])} failed: {errors.decode(errors='replace')[-2000:]}")


async def _wait_listening(port: int, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.returncode is not None:
            said = await asyncio.to_thread(log.read_text, errors="replace")
            raise RuntimeError(f"a server under test exited: {said[-2000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise TimeoutError(f"nothing listens on port {port}")


@contextlib.asynccontextmanager
async def _server(
    args: Sequence[str], env: dict[str, str], cwd: Path, *, stop: signal.Signals = signal.SIGTERM
) -> AsyncIterator[tuple[str, int]]:
    """A server process started with `args` (its port is the last one); yields its events URL and pid."""
    port = int(args[-1])
    log = cwd / f"server-{port}.log"
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            *args, env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=errors
        )
    try:
        await _wait_listening(port, process, log)
        yield f"http://127.0.0.1:{port}{EVENTS_PATH}", process.pid
    finally:
        if process.returncode is None:
            process.send_signal(stop)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


@contextlib.asynccontextmanager
async def _database(directory: Path) -> AsyncIterator[tuple[str, str]]:
    """(url, which) of a database made for this run: Postgres if configured, else a SQLite file."""
    from tests.databases import fresh_postgres, postgres_available

    if postgres_available():
        with fresh_postgres(migrate=False) as url:
            yield url, "postgres"
    else:
        yield (
            f"sqlite+aiosqlite:///{directory / 'bench-ack.db'}",
            "sqlite (SWITCHBOARD_TEST_DATABASE_URL is not set)",
        )


@dataclass(frozen=True)
class Target:
    """One measured series: an app and the command it receives."""

    name: str
    url: str
    pid: int  # the server process, whose CPU is counted
    command: str
    text: str
    expect: bytes | None  # a part of every answer's body (None: the answer is an empty ack)
    database: str | None = None  # the Postgres database whose backends' CPU is counted too


@contextlib.asynccontextmanager
async def apps(
    directory: Path, api_url: str, *, profile: Path | None = None
) -> AsyncIterator[tuple[list[Target], str]]:
    """Every app under test, running; yields the targets and which database Switchboard is on.

    `profile`: run Switchboard under cProfile, which writes its stats there when the server is stopped
    with SIGINT (read them with `python -m pstats`). cProfile slows the server it profiles, so a profiled
    run's ratios are not the benchmark's: only where the time goes is."""
    python = sys.executable
    async with _database(directory) as (database_url, which):
        env = _clean_env() | {
            "SWITCHBOARD_DATABASE_URL": database_url,
            "SWITCHBOARD_SECRET_KEYS": generate_key(),
            "SLACK_API_URL": api_url,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
        }
        for step in (["db", "upgrade"], ["admin", "demo-seed"]):
            await _run([python, "-m", "bot", *step], env, directory)
        bench_app = [python, "-m", "bench.ack", "serve", "--api-url", api_url]
        profiled = ["-m", "cProfile", "-o", str(profile)] if profile else []
        # Postgres names a backend's database in its process title, which is how its CPU is found.
        database = make_url(database_url).database if database_url.startswith("postgresql") else None
        async with (
            _server([*bench_app, "starlette", str(free_port())], env, directory) as starlette,
            _server([*bench_app, "bolt", str(free_port())], env, directory) as bolt,
            _server(
                [python, *profiled, "-m", "bot", "serve", "--no-worker", "--port", str(free_port())],
                env,
                directory,
                stop=signal.SIGINT if profile else signal.SIGTERM,
            ) as switchboard,
        ):
            yield (
                [
                    Target("starlette", *starlette, "/switchboard", "help", None),
                    Target("bolt", *bolt, "/switchboard", "help", None),
                    Target(
                        "switchboard_help",
                        *switchboard,
                        "/switchboard",
                        "help",
                        b"Switchboard help",
                        database,
                    ),
                    # /lookup acks with nothing (its answer follows by response_url): an empty 200 is right.
                    Target("switchboard_lookup", *switchboard, "/lookup", LOOKUP_TEXT, None, database),
                ],
                which,
            )


# ----------------------------------------------------------------------------------------- CPU
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU so far (Linux's /proc), None where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name, in parentheses, may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def _backends_cpu_seconds(database: str) -> float | None:
    """The CPU so far of the Postgres backends connected to `database` ("postgres: user database
    host(port) state"). A backend that ends during a turn takes its CPU with it; the servers' pools keep
    theirs open, so that is rare."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0.0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            total += _cpu_seconds(int(entry.name)) or 0.0
    return total


@dataclass(frozen=True)
class Cpu:
    server: float | None
    database: float | None

    @classmethod
    def of(cls, target: Target) -> Cpu:
        return cls(
            _cpu_seconds(target.pid),
            _backends_cpu_seconds(target.database) if target.database else None,
        )

    def since(self, before: Cpu) -> Cpu:
        def spent(now: float | None, then: float | None) -> float | None:
            return None if now is None or then is None else now - then

        return Cpu(spent(self.server, before.server), spent(self.database, before.database))


# ------------------------------------------------------------------------------------ load client
Signed = tuple[bytes, dict[str, str]]


def signed_commands(driver: SlackDriver, target: Target, count: int) -> list[Signed]:
    """`count` slash commands as Slack sends them: distinct bodies, each signed now."""
    requests: list[Signed] = []
    for _ in range(count):
        payload = driver.command_payload(
            target.command,
            target.text,
            user=SUPERVISOR,
            channel=driver.channel,
            response_url=driver.emulator.new_response_url(driver.channel, SUPERVISOR),
            trigger_id=driver.emulator.new_trigger_id(SUPERVISOR),
        )
        body = urlencode(payload)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **driver.sign(body)}
        requests.append((body.encode(), headers))
    return requests


@dataclass
class Batch:
    latencies: list[float]
    seconds: float
    failures: int
    sent: int = 0  # requests sent, warm-up included: what the CPU was spent on
    cpu: Cpu = Cpu(None, None)


async def drive(
    url: str, requests: Sequence[Signed], concurrency: int, expect: bytes | None, *, warmup: int = 0
) -> Batch:
    """Send `requests` with at most `concurrency` in flight, each on a kept-alive connection. The first
    `warmup` of them are not measured: they open the connections the measured ones then use (a new
    connection's first request, on a server that was idle while the others were measured, is slower on
    every app, and 50 of them at once were the whole p99 of a turn)."""
    latencies: list[float] = []
    failures = 0
    pending: Iterator[tuple[int, Signed]] = iter(enumerate(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    measured_from = 0.0
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one_at_a_time() -> None:
            nonlocal failures, measured_from
            for index, (body, headers) in pending:
                if index == warmup:
                    measured_from = time.perf_counter()
                started = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                wrong = answer.strip() != b"" if expect is None else expect not in answer
                if index < warmup:
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status != 200 or wrong:
                    failures += 1

        await asyncio.gather(*(one_at_a_time() for _ in range(concurrency)))
        return Batch(latencies, time.perf_counter() - measured_from, failures, sent=len(requests))


def quantile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank quantile of sorted values."""
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q + 0.999999) - 1))]


def _per_request_ms(spent: Sequence[float | None], sent: int) -> float | None:
    if not spent or any(seconds is None for seconds in spent) or not sent:
        return None
    return round(sum(seconds or 0.0 for seconds in spent) / sent * 1000, 3)


def figures(batches: Sequence[Batch]) -> dict[str, float | int | None]:
    ordered = sorted(latency for batch in batches for latency in batch.latencies)
    seconds = sum(batch.seconds for batch in batches)
    sent = sum(batch.sent for batch in batches)
    return {
        "requests": len(ordered),
        "failures": sum(batch.failures for batch in batches),
        "p50_ms": round(quantile(ordered, 0.50) * 1000, 2),
        "p99_ms": round(quantile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "requests_per_s": round(len(ordered) / seconds, 1),
        "server_cpu_ms": _per_request_ms([batch.cpu.server for batch in batches], sent),
        "postgres_cpu_ms": _per_request_ms([batch.cpu.database for batch in batches], sent),
    }


def p99_ratio(app: dict[str, float | int | None], bolt: dict[str, float | int | None]) -> float:
    return round(float(app["p99_ms"] or 0.0) / float(bolt["p99_ms"] or 0.0), 2)  # never None


def cpu_ratio(app: dict[str, float | int | None], bolt: dict[str, float | int | None]) -> float | None:
    """The app's CPU per request (its server's, and its database backends' when counted) over bare
    Bolt's; None where the CPU could not be read."""
    server, floor = app["server_cpu_ms"], bolt["server_cpu_ms"]
    if server is None or not floor:
        return None
    return round((float(server) + float(app["postgres_cpu_ms"] or 0.0)) / float(floor), 2)


async def measure(
    targets: Sequence[Target],
    driver: SlackDriver,
    concurrency: int,
    *,
    requests: int,
    warmup: int,
    rounds: int,
) -> dict[str, dict[str, float | int | None]]:
    batches: dict[str, list[Batch]] = {target.name: [] for target in targets}
    for turn in range(rounds):
        # A different app goes first in each round, so none always follows the same neighbour.
        for target in [*targets[turn % len(targets) :], *targets[: turn % len(targets)]]:
            # Unmeasured requests first, on the connections the measured ones use: `warmup` per connection.
            warm = max(50, warmup * concurrency)
            signed = signed_commands(driver, target, warm + requests)
            before = Cpu.of(target)
            batch = await drive(target.url, signed, concurrency, target.expect, warmup=warm)
            batch.cpu = Cpu.of(target).since(before)
            batches[target.name].append(batch)
    return {name: figures(found) for name, found in batches.items()}


def _loop_and_http() -> dict[str, str]:
    """What uvicorn's "auto" picks on this machine (the same for every server under test)."""
    have = importlib.util.find_spec
    return {
        "loop": "uvloop" if have("uvloop") else "asyncio",
        "http": "httptools" if have("httptools") else "h11",
    }


async def main(
    concurrency: Sequence[int] = CONCURRENCY,
    *,
    requests: int | None = None,
    warmup: int = 2,
    rounds: int = 3,
    profile: Path | None = None,
) -> dict[str, Any]:
    """`requests`: measured requests per app per round (default: 300, or 15 per slot of concurrency)."""
    emulator = SlackEmulator(team_id=TEAM_ID)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as directory:
        async with (
            emulator.serve() as api_url,
            apps(Path(directory), api_url, profile=profile) as (targets, database),
            SlackDriver(api_url, SECRET, emulator) as driver,
        ):
            for level in concurrency:
                found = await measure(
                    targets,
                    driver,
                    level,
                    requests=requests or max(300, 15 * level),
                    warmup=warmup,
                    rounds=rounds,
                )
                result: dict[str, Any] = {
                    "benchmark": "ack",
                    "concurrency": level,
                    "rounds": rounds,
                    "apps": found,
                    "ratio_help_p99": p99_ratio(found["switchboard_help"], found["bolt"]),
                    "ratio_lookup_p99": p99_ratio(found["switchboard_lookup"], found["bolt"]),
                    "cpu_ratio_help": cpu_ratio(found["switchboard_help"], found["bolt"]),
                    "cpu_ratio_lookup": cpu_ratio(found["switchboard_lookup"], found["bolt"]),
                }
                emit({"detail": result})
                results.append(result)
    summary: dict[str, Any] = {
        "summary": "ack",
        "goal_ratio_p99": GOAL,
        "database": database,
        "server": {"workers": 1, **_loop_and_http()},
    }
    for result in results:
        level = result["concurrency"]
        summary[f"ratio_help_p99_c{level}"] = result["ratio_help_p99"]
        summary[f"ratio_lookup_p99_c{level}"] = result["ratio_lookup_p99"]
        summary[f"cpu_ratio_help_c{level}"] = result["cpu_ratio_help"]
        summary[f"cpu_ratio_lookup_c{level}"] = result["cpu_ratio_lookup"]
        for name, app in result["apps"].items():
            summary[f"{name}_p99_ms_c{level}"] = app["p99_ms"]
    summary["goal_met"] = all(max(r["ratio_help_p99"], r["ratio_lookup_p99"]) <= GOAL for r in results)
    summary["failures"] = sum(app["failures"] for r in results for app in r["apps"].values())
    emit(summary)
    return {"results": results, "summary": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="(internal) serve one of the bench's own apps")
    serve.add_argument("--api-url", required=True)
    serve.add_argument("kind", choices=("starlette", "bolt"))
    serve.add_argument("port", type=int)
    parser.add_argument("--concurrency", type=int, action="append", help="repeatable; default 1, 50, 200")
    parser.add_argument("--requests", type=int, help="measured requests per app per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="cProfile's stats of Switchboard go here")
    args = parser.parse_args()
    if args.command == "serve":
        serve_bench_app(args.kind, args.port, args.api_url)
    else:
        asyncio.run(
            main(
                args.concurrency or CONCURRENCY,
                requests=args.requests,
                rounds=args.rounds,
                profile=args.profile.resolve() if args.profile else None,  # the servers run elsewhere
            )
        )
