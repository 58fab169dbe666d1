"""The Web API client never posts twice: a connection Slack closes after reading a `chat.postMessage` is
not retried (the message may be in the channel), a read is; a post whose connection was never made is."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.slack.web_client import web_client


@contextlib.asynccontextmanager
async def hangs_up() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that reads each request whole, then closes the connection without an answer."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        body = await reader.readexactly(length)
        seen.append(head.split(b"\r\n", 1)[0] + b" " + body)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/api/", seen


async def test_a_post_slack_may_have_taken_is_not_sent_again() -> None:
    async with hangs_up() as (url, seen):
        client = web_client("xoxb-test", url)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await client.chat_postMessage(channel="C1", text="once")
        assert len(seen) == 1 and b"chat.postMessage" in seen[0]


async def test_a_read_is_retried() -> None:
    async with hangs_up() as (url, seen):
        client = web_client("xoxb-test", url)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await client.users_info(user="U1")
        # slack_sdk retried it (and aiohttp, for a GET, once more each time): reading twice is harmless.
        assert len(seen) > 2 and all(b"users.info" in s for s in seen)


async def test_a_post_is_retried_only_when_it_never_connected() -> None:
    handler = web_client("xoxb-test", "http://127.0.0.1:1/api/").retry_handlers[0]
    post = HttpRequest(method="POST", url="http://127.0.0.1:1/api/chat.postMessage", headers={})
    state = RetryState()
    refused = aiohttp.ClientConnectorError(
        ConnectionKey("127.0.0.1", 1, False, True, None, None, None, None), OSError(111, "refused")
    )
    assert await handler.can_retry_async(state=state, request=post, error=refused)
    assert not await handler.can_retry_async(
        state=state, request=post, error=aiohttp.ServerDisconnectedError()
    )
    assert not await handler.can_retry_async(
        state=state, request=post, error=aiohttp.ClientOSError(104, "reset")
    )
