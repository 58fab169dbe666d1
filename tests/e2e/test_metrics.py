"""Prometheus metrics: signed Slack requests and their jobs show up at GET /metrics, provider faults in
the 429 and retry counters, the job queue's depth as the database holds it (no worker running), and a
scrape that cannot read the queue still answers.

Metrics live on prometheus_client's process-wide registry, so every test compares two scrapes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import procrastinate
import pytest
from procrastinate.testing import InMemoryConnector
from prometheus_client.parser import text_string_to_metric_families

from bench.priority import free_port
from bot import metrics
from bot.console.app import console_factory
from bot.console.driver import SlackDriver
from bot.console.emulator import SlackEmulator
from bot.container import running
from bot.errors import ConfigError
from bot.jobs import metrics as job_metrics
from bot.services.demo import TEAM_ID
from bot.settings import load_settings
from bot.slack import ids
from bot.slack.web import serve_metrics
from tests.databases import fresh_database, postgres_available
from tests.e2e.conftest import Harness, MakeHarness

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


async def scrape(app: Any) -> Samples:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sb") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter not yet incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return total(after, name, **labels) - total(before, name, **labels)


# ------------------------------------------------------------------------------------------- ack kinds


def _payload(data: Mapping[str, Any], *, compact: bool = True) -> bytes:
    text = json.dumps(data, separators=(",", ":")) if compact else json.dumps(data)
    return urlencode({"payload": text}).encode()


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (
            urlencode({"token": "t", "team_id": "T1", "command": "/lookup", "text": "a&command=b"}).encode(),
            "command",
        ),
        (urlencode({"command": "/calls", "text": ""}).encode(), "command"),
        # A value is percent-encoded: text that looks like a field is not one.
        (urlencode({"token": "t", "text": "x&command=y&payload={}"}).encode(), "other"),
        (_payload({"type": "block_actions", "actions": [{"type": "button"}]}), "block_actions"),
        (_payload({"type": "view_submission", "view": {"type": "modal"}}, compact=False), "view_submission"),
        (_payload({"type": "shortcut", "callback_id": "x"}), "shortcut"),
        (_payload({"type": "message_action", "callback_id": "x"}), "shortcut"),
        (_payload({"type": "view_closed"}), "other"),
        # A nested block's "type" before the payload's own is skipped.
        (_payload({"container": {"type": "message"}, "type": "block_actions"}), "block_actions"),
        (b'{"type":"event_callback","event":{"type":"app_home_opened"}}', "event"),
        (b'{"type": "url_verification", "challenge": "c"}', "event"),
        (b"token=t&team_id=T1", "other"),
        (b"payload=not-json", "other"),
        (b"", "other"),
    ],
)
def test_ack_kind_is_read_from_the_raw_body(body: bytes, kind: str) -> None:
    assert metrics.ack_kind(body) == kind


# ------------------------------------------------------------------------------------ end to end (SQLite)


async def test_a_lookup_shows_its_ack_its_job_and_its_provider_calls(slack: Harness) -> None:
    before = await scrape(slack.app)
    response = await slack.driver.command("/lookup", "+14155550101 30d", user="U0SUPER")
    assert response.status == 200 and response.body.strip() == ""  # a quiet ack: accepted, answered later
    await slack.driver.settle()
    after = await scrape(slack.app)

    assert delta(before, after, "switchboard_slack_ack_seconds_count", kind="command") == 1
    assert delta(before, after, "switchboard_slack_ack_seconds_count", kind="block_actions") == 0
    # The ack is fast; its sample falls in a bucket well below Slack's 3 s.
    assert delta(before, after, "switchboard_slack_ack_seconds_bucket", kind="command", le="1.0") == 1
    assert delta(before, after, "switchboard_jobs_total", kind="lookup", outcome="succeeded") == 1
    assert delta(before, after, "switchboard_jobs_total", kind="lookup", outcome="failed") == 0
    assert delta(before, after, "switchboard_job_seconds_count", kind="lookup") == 1
    for provider in ("zoom", "livevox", "routee"):
        assert (
            delta(before, after, "switchboard_provider_calls_total", provider=provider, status="200") >= 1
        ), provider
        assert delta(before, after, "switchboard_provider_call_seconds_count", provider=provider) >= 1
    # Operation names label the calls, e.g. Zoom's OAuth token on a fresh app.
    assert any(
        name == "switchboard_provider_calls_total" and dict(labels).get("operation") == "oauth.token"
        for name, labels in after
    )
    # The in-memory queue (SQLite mode) is read at scrape time: empty once everything has run.
    assert value(after, "switchboard_job_queue_up") == 1
    assert value(after, "switchboard_job_queue_depth", kind="lookup", status="todo") == 0
    assert value(after, "switchboard_job_queue_depth", kind="sms_send", status="doing") == 0
    assert value(after, "switchboard_job_queue_oldest_seconds", kind="lookup", status="todo") == 0

    # A button on the answer is a block_actions ack.
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None and "Lookup:" in answer.text + json.dumps(answer.blocks)
    await slack.driver.click(answer, ids.ACTION_SHARE, user="U0SUPER")
    await slack.driver.settle()
    clicked = await scrape(slack.app)
    assert delta(after, clicked, "switchboard_slack_ack_seconds_count", kind="block_actions") == 1
    assert delta(after, clicked, "switchboard_slack_ack_seconds_count", kind="command") == 0


async def test_a_zoom_429_burst_is_counted_with_its_retries(make_harness: MakeHarness) -> None:
    async with make_harness(sandbox_faults="zoom:burst_429=2", settle_timeout=40) as slack:
        before = await scrape(slack.app)
        await slack.driver.command("/lookup", "+14155550101 30d", user="U0SUPER")
        await slack.driver.settle()
        after = await scrape(slack.app)
    assert delta(before, after, "switchboard_provider_rate_limited_total", provider="zoom") == 2
    assert delta(before, after, "switchboard_provider_rate_limited_total", provider="livevox") == 0
    # Each 429 (Retry-After: 1, under the client's cap) was sent again.
    assert delta(before, after, "switchboard_provider_retries_total", provider="zoom") >= 2
    assert delta(before, after, "switchboard_jobs_total", kind="lookup", outcome="succeeded") == 1


async def test_a_scrape_that_cannot_read_the_queue_still_answers(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(app: procrastinate.App, queue: str) -> job_metrics.QueueSnapshot:
        raise ConnectionRefusedError("the database is away")

    up = await scrape(slack.app)
    monkeypatch.setattr(job_metrics, "_sample", unreachable)
    down = await scrape(slack.app)
    assert value(up, "switchboard_job_queue_up") == 1
    assert value(up, "switchboard_job_queue_depth", kind="lookup", status="todo") == 0
    assert value(down, "switchboard_job_queue_up") == 0
    # Unknown is not zero: no depth at all rather than a reassuring 0.
    assert not [key for key in down if key[0] == "switchboard_job_queue_depth"]
    assert "switchboard_slack_ack_seconds_count" in {name for name, _ in down}


async def test_reading_a_hanging_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hanging(app: procrastinate.App, queue: str) -> job_metrics.QueueSnapshot:
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    monkeypatch.setattr(job_metrics, "_sample", hanging)
    monkeypatch.setattr(job_metrics, "QUEUE_SAMPLE_TIMEOUT", 0.2)
    snapshot = await job_metrics.sample_queue(procrastinate.App(connector=InMemoryConnector()))
    assert snapshot.up is False
    assert 0.15 <= snapshot.seconds < 2.0


# ------------------------------------------------------------------------------------ the worker's port


async def test_the_worker_serves_metrics_on_its_port_only_when_asked(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        async with running(load_settings(database_url=url), worker=False) as container:
            async with serve_metrics(container, host="127.0.0.1", port=None):
                pass  # no port: nothing listens, nothing fails
            port = free_port()
            async with serve_metrics(container, host="127.0.0.1", port=port):
                async with httpx.AsyncClient(timeout=10) as client:
                    response = await client.get(f"http://127.0.0.1:{port}/metrics")
                    assert response.status_code == 200
                    samples = _parse(response.text)
                    assert value(samples, "switchboard_job_queue_up") == 1
                    assert (await client.get(f"http://127.0.0.1:{port}/slack/events")).status_code == 404
                with pytest.raises(ConfigError, match="SWITCHBOARD_METRICS_PORT"):
                    async with serve_metrics(container, host="127.0.0.1", port=port):
                        pass
            # Leaving it closes the port.
            with pytest.raises(httpx.TransportError):
                async with httpx.AsyncClient(timeout=2) as client:
                    await client.get(f"http://127.0.0.1:{port}/metrics")


# ---------------------------------------------------------------------------------- Postgres: the queue


@contextlib.asynccontextmanager
async def _web_without_worker(url: str) -> AsyncIterator[tuple[Any, SlackDriver]]:
    emulator = SlackEmulator(team_id=TEAM_ID)
    async with (
        emulator.serve() as api_url,
        console_factory(load_settings(database_url=url), migrate=False, worker=False)(api_url) as (
            app,
            secret,
            _,
        ),
        SlackDriver(app, secret, emulator, idle=None) as driver,
    ):
        yield app, driver


@pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL (CI sets it)")
async def test_queue_depth_and_age_on_postgres_with_no_worker(tmp_path: Path) -> None:
    with fresh_database("postgres", tmp_path) as url:
        async with _web_without_worker(url) as (app, driver):
            empty = await scrape(app)
            for number in ("+14155550100", "+14155550101"):
                response = await driver.command("/lookup", f"{number} 7d", user="U0SUPER")
                assert response.body.strip() == ""  # a quiet ack: accepted, answered later
            await asyncio.sleep(0.3)
            queued = await scrape(app)
    assert value(empty, "switchboard_job_queue_up") == 1
    assert value(empty, "switchboard_job_queue_depth", kind="lookup", status="todo") == 0
    assert value(queued, "switchboard_job_queue_up") == 1
    assert value(queued, "switchboard_job_queue_depth", kind="lookup", status="todo") == 2
    assert value(queued, "switchboard_job_queue_depth", kind="lookup", status="doing") == 0
    age = value(queued, "switchboard_job_queue_oldest_seconds", kind="lookup", status="todo")
    assert 0.2 <= age < 60
    assert value(queued, "switchboard_job_queue_sample_seconds") < job_metrics.QUEUE_SAMPLE_TIMEOUT
    assert delta(empty, queued, "switchboard_slack_ack_seconds_count", kind="command") == 2
    assert delta(empty, queued, "switchboard_jobs_total", kind="lookup") == 0  # nobody ran them
