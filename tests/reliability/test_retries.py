"""Retries, counted exactly: a read-only job meeting transient failures runs again (as many times as it
failed, then succeeds and answers once); a state-changing job meeting the same failure is never run again;
unless it failed before changing anything (`NothingChanged`); a failure that another try would not fix is
not retried. The runner's metrics count the same."""

from __future__ import annotations

from typing import ClassVar

import pytest
from prometheus_client import REGISTRY

from bot.container import Container
from bot.jobs.contract import Effect, Envelope, Job
from bot.jobs.retry import NothingChanged
from bot.providers.errors import InvalidRequest, Unavailable
from bot.slack.reply import respond
from tests.e2e.conftest import Harness

FAILURES: dict[str, int] = {}
RUNS: dict[str, int] = {}


class FlakyRead(Job):
    kind = "test_flaky_read"
    effect: ClassVar[Effect] = Effect.READ
    fail_times: int


class FlakyChange(Job):
    kind = "test_flaky_change"
    effect: ClassVar[Effect] = Effect.CHANGE
    fail_times: int


class UnchangedChange(Job):
    """A change whose transient failures all come before it changes anything (a claim, say)."""

    kind = "test_unchanged_change"
    effect: ClassVar[Effect] = Effect.CHANGE
    fail_times: int


class RefusedRead(Job):
    kind = "test_refused_read"


async def _flaky(job: FlakyRead | FlakyChange | UnchangedChange, container: Container) -> None:
    RUNS[job.kind] = RUNS.get(job.kind, 0) + 1
    if FAILURES.get(job.kind, 0) < job.fail_times:
        FAILURES[job.kind] = FAILURES.get(job.kind, 0) + 1
        raise Unavailable("zoom", "503 from upstream", status=503)
    await respond(job.envelope.response_url or "", {"text": f"done after {RUNS[job.kind]} runs"})


async def _unchanged(job: UnchangedChange, container: Container) -> None:
    try:
        await _flaky(job, container)
    except Unavailable as error:
        raise NothingChanged(error) from error


async def _refused(job: RefusedRead, container: Container) -> None:
    RUNS[job.kind] = RUNS.get(job.kind, 0) + 1
    raise InvalidRequest("zoom", "bad queue id", status=400)


def _count(kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("switchboard_jobs_total", {"kind": kind, "outcome": outcome}) or 0.0


async def _run(slack: Harness, job_type: type[Job], **fields: int) -> list[str]:
    for model in (FlakyRead, FlakyChange):
        slack.container.jobs.register(model, _flaky)
    slack.container.jobs.register(UnchangedChange, _unchanged)
    slack.container.jobs.register(RefusedRead, _refused)
    url = slack.emulator.new_response_url("C0DEMO", "U0SUPER")
    envelope = Envelope(team_id="T0DEMO", user_id="U0SUPER", response_url=url, origin="test")
    await slack.container.defer(job_type(envelope=envelope, **fields))
    await slack.driver.settle(timeout=20)
    return [str(p.body.get("text")) for p in slack.emulator.response_posts if url.endswith(p.url_id)]


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    FAILURES.clear()
    RUNS.clear()


async def test_a_read_only_job_is_retried_exactly_as_often_as_it_failed(slack: Harness) -> None:
    before = {o: _count("test_flaky_read", o) for o in ("retried", "succeeded", "failed")}
    answers = await _run(slack, FlakyRead, fail_times=2)
    assert answers == ["done after 3 runs"]
    assert RUNS["test_flaky_read"] == 3
    assert _count("test_flaky_read", "retried") - before["retried"] == 2
    assert _count("test_flaky_read", "succeeded") - before["succeeded"] == 1
    assert _count("test_flaky_read", "failed") - before["failed"] == 0


async def test_a_state_changing_job_is_never_retried(slack: Harness) -> None:
    before = _count("test_flaky_change", "retried")
    answers = await _run(slack, FlakyChange, fail_times=1)
    assert RUNS["test_flaky_change"] == 1
    assert _count("test_flaky_change", "retried") == before
    assert len(answers) == 1 and answers[0].startswith("Zoom is not answering properly")


async def test_a_state_changing_job_that_failed_before_changing_anything_is_retried(slack: Harness) -> None:
    before = _count("test_unchanged_change", "retried")
    answers = await _run(slack, UnchangedChange, fail_times=2)
    assert answers == ["done after 3 runs"]
    assert RUNS["test_unchanged_change"] == 3
    assert _count("test_unchanged_change", "retried") - before == 2


async def test_a_failure_another_try_would_not_fix_is_not_retried(slack: Harness) -> None:
    answers = await _run(slack, RefusedRead)
    assert RUNS["test_refused_read"] == 1
    assert answers == ["Zoom refused the request: bad queue id."]
