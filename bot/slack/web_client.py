"""The Slack Web API client every process uses: slack_sdk's, with a retry that cannot post twice.

slack_sdk retries a call once when the connection fails (`AsyncConnectionErrorRetryHandler`), including
when the server closed or reset it after the request was sent: for `chat.postMessage` that may be a
message Slack already posted, so the retry would post it again (a digest twice in a channel). Slack has
no idempotency key for posts, so a post is retried only when the connection was never made (the request
cannot have reached Slack); every other call keeps slack_sdk's retry.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

# Calls that create something each time they are made.
NOT_REPEATABLE = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.completeUploadExternal",
        "files.upload",
    }
)


class NoDoublePostRetry(AsyncConnectionErrorRetryHandler):
    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rsplit("/", 1)[-1].split("?", 1)[0]
        if method in NOT_REPEATABLE:
            return isinstance(error, aiohttp.ClientConnectorError)  # never connected: nothing was sent
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


def web_client(token: str | None, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=[NoDoublePostRetry()])
