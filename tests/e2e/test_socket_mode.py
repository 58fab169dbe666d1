"""Socket Mode (`switchboard socket`): Slack delivers payloads over its WebSocket, unsigned; Bolt's
socket handler turns each into `AsyncBoltRequest(mode="socket_mode", body=payload)` and dispatches it.
The app built with `socket_mode=True` must answer those exactly as it answers HTTP."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.app import BOT_SIGN_IN_REFUSED, create_app
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


async def test_a_refused_bot_token_is_said_in_switchboards_words(slack: Harness) -> None:
    """One token (SLACK_BOT_TOKEN, here over Socket Mode): when Slack refuses it (auth.test answers
    invalid_auth: revoked, or the app removed), the person is told what an admin must do, not Bolt's
    "Please install this app into the workspace"."""
    app = create_app(slack.container, socket_mode=True)  # a fresh app: auth.test is asked anew
    slack.emulator.tokens.clear()  # the bot token is revoked
    payload = slack.driver.command_payload(
        "/switchboard",
        "help",
        user="U0SUPER",
        channel="C0DEMO",
        response_url=slack.emulator.new_response_url("C0DEMO", "U0SUPER"),
        trigger_id="1.2.revoked",
    )
    request = SocketModeRequest(type="slash_commands", envelope_id="env-2", payload=dict(payload))
    response = await run_async_bolt_app(app, request)
    assert response.status == 200
    assert response.body == BOT_SIGN_IN_REFUSED and "SLACK_BOT_TOKEN" in str(response.body)
