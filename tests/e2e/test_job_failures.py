"""A job that fails still answers the person, in words (the runner's notifier, installed by bot.slack)."""

from __future__ import annotations

import logging
from typing import ClassVar

import pytest

from bot.container import Container
from bot.errors import InputError
from bot.jobs.contract import Effect, Envelope, Job
from bot.providers.errors import AuthError
from tests.e2e.conftest import Harness


class Boom(Job):
    kind = "test_boom"
    effect: ClassVar[Effect] = Effect.CHANGE


class ProviderRefused(Job):
    kind = "test_provider_refused"


class BadInput(Job):
    kind = "test_bad_input"


async def _boom(job: Boom, container: Container) -> None:
    raise RuntimeError("a bug")


async def _refused(job: ProviderRefused, container: Container) -> None:
    raise AuthError("zoom", "401 from upstream", status=401)


async def _bad_input(job: BadInput, container: Container) -> None:
    raise InputError("I can't read `soon` as a time range; try 7d, 30d or 2026-10-01..2026-10-31.")


async def _answer_after(slack: Harness, job_type: type[Job]) -> str:
    slack.container.jobs.register(Boom, _boom)
    slack.container.jobs.register(ProviderRefused, _refused)
    slack.container.jobs.register(BadInput, _bad_input)
    url = slack.emulator.new_response_url("C0DEMO", "U0AGENT")
    envelope = Envelope(team_id="T0DEMO", user_id="U0AGENT", response_url=url, origin="test")
    await slack.container.defer(job_type(envelope=envelope))
    await slack.driver.settle()
    posts = [post for post in slack.emulator.response_posts if url.endswith(post.url_id)]
    assert len(posts) == 1
    return str(posts[0].body.get("text"))


async def test_an_unexpected_failure_is_told_in_words(slack: Harness) -> None:
    text = await _answer_after(slack, Boom)
    assert "went wrong on Switchboard's side" in text and "RuntimeError" not in text and "a bug" not in text


async def test_a_provider_failure_names_the_provider(slack: Harness) -> None:
    text = await _answer_after(slack, ProviderRefused)
    assert text.startswith("Zoom refused Switchboard's credentials")


async def test_input_a_job_cannot_use_is_told_in_its_own_words(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.jobs.runner"):
        text = await _answer_after(slack, BadInput)
    assert "can't read `soon` as a time range" in text and "went wrong" not in text
    refused = [r for r in caplog.records if "refused its input" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None  # not logged as a crash


async def test_an_unregistered_job_is_refused_at_once(slack: Harness) -> None:
    class Nobody(Job):
        kind = "test_nobody"

    envelope = Envelope(team_id="T0DEMO", user_id="U0AGENT", origin="test")
    try:
        await slack.container.defer(Nobody(envelope=envelope))
    except LookupError as error:
        assert "test_nobody" in str(error)
    else:
        raise AssertionError("an unregistered job kind was accepted")
