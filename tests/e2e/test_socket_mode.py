"""Socket Mode (`switchboard socket`): Slack delivers payloads over its WebSocket, unsigned; Bolt's
socket handler turns each into `AsyncBoltRequest(mode="socket_mode", body=payload)` and dispatches it.
The app built with `socket_mode=True` must answer those exactly as it answers HTTP."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.app import create_app
from tests.e2e.conftest import Harness


async def test_a_slash_command_over_socket_mode_is_acked_and_answered(slack: Harness) -> None:
    app = create_app(slack.container, socket_mode=True)
    payload = slack.driver.command_payload(
        "/lookup",
        "+1 415 555 0101 7d",
        user="U0SUPER",
        channel="C0DEMO",
        response_url=slack.emulator.new_response_url("C0DEMO", "U0SUPER"),
        trigger_id=slack.emulator.new_trigger_id("U0SUPER"),
    )
    request = SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=dict(payload))
    response = await run_async_bolt_app(app, request)
    assert response.status == 200
    assert not response.body  # a quiet ack: the answer comes through response_url
    await slack.driver.settle()
    posts = [p for p in slack.emulator.response_posts if "Lookup: +1 415-555-0101" in str(p)]
    assert len(posts) == 1
