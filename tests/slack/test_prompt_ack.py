"""The ack shortcuts of the front door answer exactly what Bolt's own ack would."""

from __future__ import annotations

import json

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.slack.admin.commands import encoded_help, help_for
from bot.slack.prompt_ack import EncodedAck


async def test_an_encoded_ack_sends_the_bytes_bolts_ack_sends() -> None:
    for role in (None, Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        bolt = AsyncAck()  # type: ignore[no-untyped-call]
        await bolt(**help_for(role))
        ours = AsyncAck()  # type: ignore[no-untyped-call]
        encoded_help(role).send(ours)
        assert bolt.response is not None and ours.response is not None
        assert ours.response.body == bolt.response.body
        assert ours.response.status == bolt.response.status == 200
        assert ours.response.headers == bolt.response.headers


async def test_each_send_is_a_response_of_its_own() -> None:
    """Bolt may change the response it is handed (its status, on a later error): one request's change
    must not reach the next request's answer."""
    encoded = EncodedAck(text="hello", response_type="ephemeral")
    first, second = AsyncAck(), AsyncAck()  # type: ignore[no-untyped-call]
    encoded.send(first)
    assert first.response is not None
    first.response.status = 500
    encoded.send(second)
    assert second.response is not None and second.response.status == 200
    assert json.loads(second.response.body) == {"text": "hello", "response_type": "ephemeral"}
    assert encoded_help(Role.AGENT).body != encoded_help(Role.ADMIN).body  # each role sees its own
