"""Several processes sharing one provider account's rate limit, through Postgres.

THREE worker processes (real OS processes, each building its clients the way the app does: a
`ProviderRegistry` given `rate_budget_for(engine)`) burst HEAVY Zoom calls (Contact Center SMS logs) at
the same instant against ONE sandbox (`switchboard sandbox`, its own process, real HTTP), which enforces
Zoom's documented Pro limit (HEAVY 5 requests/s, counted in fixed one-second windows) with 429s.
Clients do not retry (`max_retries=0`), so every 429 shows.

measured: the Postgres budget shared by the three: 429s, and the combined rate the provider saw.
floor (the control): the same three processes, each with its own in-process buckets (what every process
did before): each keeps to 5/s alone, so together they send about three times the allowance.
ratio_of_allowance = combined send rate / 5 per second, over the whole run (1.0 = the whole allowance;
the client keeps 5% headroom, so ~0.95 is the ceiling).

Needs Postgres: `--database-url` or SWITCHBOARD_TEST_DATABASE_URL (a throw-away database is created on
that server and dropped afterwards). Without one it prints a summary saying it was skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx

from bench.priority import sandbox_process

PRO_HEAVY_PER_SECOND = 5
PROCESSES = 3


def emit(record: dict[str, Any]) -> None:
    # As bench.common.emit; not imported from there, which boots the Slack app in every worker process.
    print(json.dumps(record, sort_keys=True), flush=True)


# ------------------------------------------------------------------------------------------ one worker


async def _worker(sandbox: str, database_url: str, budget: str, calls: int) -> dict[str, Any]:
    """One process: build the clients, warm up, say "ready", wait for "go", then burst `calls` at once."""
    from bot.db.rate_budget import rate_budget_for
    from bot.db.session import create_engine
    from bot.providers import RateBudget, RateLimiterRegistry, RetryPolicy, ZoomClient, errors
    from bot.sandbox import credentials

    sends: list[float] = []
    statuses: list[int] = []

    async def on_request(request: httpx.Request) -> None:
        if request.url.path.endswith("/contact_center/sms"):
            sends.append(time.time())

    async def on_response(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/contact_center/sms"):
            statuses.append(response.status_code)

    engine = create_engine(database_url)
    # "shared": what the container passes on Postgres. "local": the control, each process on its own.
    rate_budget: RateBudget | None = rate_budget_for(engine) if budget == "shared" else RateLimiterRegistry()
    assert rate_budget is not None, "the shared budget needs Postgres"
    http = httpx.AsyncClient(event_hooks={"request": [on_request], "response": [on_response]}, timeout=30)
    zoom = ZoomClient(
        account_id=credentials.ZOOM_ACCOUNT_ID,
        client_id=credentials.ZOOM_CLIENT_ID,
        client_secret=credentials.ZOOM_CLIENT_SECRET,
        api_url=f"{sandbox}/zoom/v2",
        token_url=f"{sandbox}/zoom/oauth/token",
        plan="pro",
        http_client=http,
        limiter_registry=rate_budget,
        retry=RetryPolicy(max_retries=0),  # every 429 counts: none is hidden by a retry
    )
    today = date.today()
    # Warm-up on another rate class (MEDIUM has its own window in Zoom and in the sandbox): fetches the
    # token and opens the HTTP connection, so the burst measures the budget, not start-up.
    await zoom.phone.sms_sessions.list(from_=today - timedelta(days=7), to=today, page_size=10).first_page()

    async def one() -> bool:
        try:
            await zoom.contact_center.sms.list(
                from_=today - timedelta(days=7), to=today, page_size=10
            ).first_page()
        except errors.RateLimited:
            return False
        return True

    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the common start
    started = time.time()
    results = await asyncio.gather(*(one() for _ in range(calls)))
    finished = time.time()
    await zoom.aclose()
    await http.aclose()
    await engine.dispose()
    return {
        "pid": os.getpid(),
        "started": started,
        "finished": finished,
        "succeeded": sum(results),
        "sends": sends,
        "statuses": statuses,
    }


# ------------------------------------------------------------------------------------------ the harness


def max_in_any_window(times: list[float], width: float = 1.0) -> int:
    """The most sends in any `width`-second window (sliding, so at least what any fixed window counts)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def _shortest_span(times: list[float], count: int) -> float | None:
    """Milliseconds between the closest `count` consecutive sends: six inside 1,000 ms is over 5/s."""
    ordered = sorted(times)
    spans = [b - a for a, b in zip(ordered, ordered[count - 1 :], strict=False)]
    return round(min(spans) * 1000, 1) if spans else None


def burst(
    sandbox: str, database_url: str, *, budget: str, calls: int, processes: int = PROCESSES
) -> dict[str, Any]:
    """`processes` workers, each sending `calls` at once after a common start; their combined figures."""
    env = {**os.environ, "SWITCHBOARD_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "bench.shared_rate_limits", "worker", "--calls", str(calls)]
    workers = [
        subprocess.Popen(
            [*command, "--sandbox", sandbox, "--database-url", database_url, "--budget", budget],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    try:
        for worker in workers:  # all built and warmed up before any bursts
            assert worker.stdout is not None
            line = worker.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a worker failed to start (exit {worker.wait()})")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports = []
        for worker in workers:
            out, _ = worker.communicate(timeout=600)
            if worker.returncode != 0:
                raise RuntimeError(f"a worker failed (exit {worker.returncode})")
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    sends = sorted(itertools.chain.from_iterable(r["sends"] for r in reports))
    statuses = list(itertools.chain.from_iterable(r["statuses"] for r in reports))
    succeeded = sum(r["succeeded"] for r in reports)
    span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
    # Rate of requests as the provider counts them: n sends occupy the span from the first to the last
    # plus the one-second window the last one falls in (a whole second's allowance may leave at once).
    send_rate = len(sends) / (span + 1.0) if sends else 0.0
    elapsed = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    return {
        "budget": budget,
        "processes": processes,
        "calls": calls * processes,
        "succeeded": succeeded,
        "requests": len(sends),
        "responses_429": sum(1 for s in statuses if s == 429),
        "per_process_succeeded": [r["succeeded"] for r in reports],
        "seconds": round(elapsed, 3),
        "send_rate_per_s": round(send_rate, 3),
        "throughput_per_s": round(succeeded / elapsed, 3) if elapsed > 0 else 0.0,
        "max_sends_in_any_second": max_in_any_window(sends),
        "min_gap_ms": _shortest_span(sends, 2),
        "span_of_six_ms": _shortest_span(sends, 6),
        "ratio_of_allowance": round(send_rate / PRO_HEAVY_PER_SECOND, 4),
    }


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A fresh, migrated database on the server of `server_url`, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    from bot.db.migrate import upgrade

    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"switchboard_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(database_url: str | None, *, calls: int = 40, control_calls: int = 10) -> dict[str, Any]:
    """The shared run (`calls` per process) and the control (`control_calls` per process)."""
    if not database_url:
        emit(
            {
                "summary": "shared_rate_limits",
                "skipped": "no Postgres (--database-url or SWITCHBOARD_TEST_DATABASE_URL)",
            }
        )
        return {"benchmark": "shared_rate_limits", "skipped": True}
    with throwaway_database(database_url) as url, sandbox_process() as sandbox:
        shared = burst(sandbox, url, budget="shared", calls=calls)
        time.sleep(1.5)  # let the sandbox's one-second window pass
        control = burst(sandbox, url, budget="local", calls=control_calls)
    result: dict[str, Any] = {"benchmark": "shared_rate_limits", "shared": shared, "per_process": control}
    emit({"detail": result})
    emit(
        {
            "summary": "shared_rate_limits",
            "processes": PROCESSES,
            "ratio_of_allowance": shared["ratio_of_allowance"],
            "429s_shared": shared["responses_429"],
            "429s_per_process": control["responses_429"],
        }
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("worker", help="internal: one bursting process")
    worker.add_argument("--sandbox", required=True, help="the sandbox's base URL")
    worker.add_argument("--database-url", required=True)
    worker.add_argument("--budget", choices=["shared", "local"], required=True)
    worker.add_argument("--calls", type=int, required=True)
    parser.add_argument("--database-url", default=os.environ.get("SWITCHBOARD_TEST_DATABASE_URL", "").strip())
    parser.add_argument("--calls", type=int, default=40, help="HEAVY calls per process in the shared run")
    args = parser.parse_args()
    if args.command == "worker":
        print(
            json.dumps(asyncio.run(_worker(args.sandbox, args.database_url, args.budget, args.calls))),
            flush=True,
        )
    else:
        main(args.database_url or None, calls=args.calls)
