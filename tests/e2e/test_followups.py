"""A follow-up that fails unexpectedly still answers the person (the job runner's one safety net)."""

from __future__ import annotations

from typing import Any

from bot.jobs.tasks import FOLLOWUPS, followup
from bot.providers.errors import Unavailable
from tests.e2e.conftest import Harness


async def _boom(container: Any, payload: dict[str, Any]) -> None:
    raise RuntimeError("a bug")


async def _provider_down(container: Any, payload: dict[str, Any]) -> None:
    raise Unavailable("zoom", "503 from upstream", status=503)


if "test_boom" not in FOLLOWUPS:
    followup("test_boom")(_boom)
    followup("test_provider_down")(_provider_down)


async def _answer_after(slack: Harness, name: str) -> str:
    url = slack.emulator.new_response_url("C0DEMO", "U0AGENT")
    await slack.container.defer(name, {"response_url": url, "team_id": "T0DEMO", "user_id": "U0AGENT"})
    await slack.driver.settle()
    posts = [post for post in slack.emulator.response_posts if url.endswith(post.url_id)]
    assert len(posts) == 1
    return str(posts[0].body.get("text"))


async def test_an_unexpected_failure_is_told_in_words(slack: Harness) -> None:
    text = await _answer_after(slack, "test_boom")
    assert "went wrong on Switchboard's side" in text and "RuntimeError" not in text and "a bug" not in text


async def test_a_provider_failure_names_the_provider(slack: Harness) -> None:
    text = await _answer_after(slack, "test_provider_down")
    assert text.startswith("Zoom is not answering properly")
