"""Answer Slack as soon as a listener calls `ack()`, not at Bolt's next look for it.

With `process_before_response=False` Bolt starts the listener as a task and then checks every 10 ms
whether `ack()` has been called (slack_bolt/listener/asyncio_runner.py). The first check always comes
before the listener has run, so every ack waited 10 ms or more, however fast the listener was; under load
each of those sleeps is also one more timer for the event loop.

`PromptAckRunner` runs Bolt's own runner unchanged (error handler, completion handler, lazy listeners,
the ack timeout, the listener going on after the ack) and only stops waiting for it: the ack it hands out
signals when its response is set, and the HTTP answer is then exactly what Bolt would return at its next
look. Bolt's runner finishes its last sleep in the background and its (identical) result is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.ack.internals import _set_response
from slack_bolt.listener.async_listener import AsyncListener
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)


class PromptAck(AsyncAck):
    """Bolt's `ack()`, with a future that is done once there is a response to send."""

    def __init__(self) -> None:
        self.answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        super().__init__()  # type: ignore[no-untyped-call]

    @property
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        # Set by ack() itself, or by Bolt's runner when the listener failed before acking (its 500).
        self._response = value
        if value is not None:
            _settle(self.answered)


class PromptAckRunner(AsyncioListenerRunner):
    def __init__(self, bolt: AsyncioListenerRunner) -> None:
        super().__init__(
            logger=bolt.logger,
            process_before_response=bolt.process_before_response,
            listener_error_handler=bolt.listener_error_handler,
            listener_start_handler=bolt.listener_start_handler,
            listener_completion_handler=bolt.listener_completion_handler,
            lazy_listener_runner=bolt.lazy_listener_runner,
        )
        self._running: set[asyncio.Future[BoltResponse | None]] = set()

    async def run(
        self,
        request: AsyncBoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: AsyncListener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        # Only the path that polls, and only while nobody has acked yet; lazy listeners stay Bolt's own.
        # Bolt creates the context's ack when it injects any middleware's arguments; none of them has
        # called it, and the listener's own arguments are injected after this, so it can be swapped.
        current = request.context.get("ack")
        if (
            self.process_before_response
            or request.lazy_only
            or listener.lazy_functions
            or (current is not None and (type(current) is not AsyncAck or current.response is not None))
        ):
            return await super().run(request, response, listener_name, listener, starting_time)
        ack = PromptAck()
        request.context["ack"] = ack
        bolt = asyncio.ensure_future(super().run(request, response, listener_name, listener, starting_time))
        self._running.add(bolt)
        bolt.add_done_callback(self._finished)
        # Bolt's runner ending (the ack timeout, say) ends the wait too, with its own answer.
        bolt.add_done_callback(lambda _: _settle(ack.answered))
        await ack.answered
        if bolt.done():
            return bolt.result()
        # What Bolt returns once it sees the ack: the response handed in (None after Switchboard's
        # middleware), else the ack's.
        return response if response is not None else ack.response

    def _finished(self, bolt: asyncio.Future[BoltResponse | None]) -> None:
        self._running.discard(bolt)
        if not bolt.cancelled() and bolt.exception() is not None:
            log.error("Bolt's listener runner failed after the ack", exc_info=bolt.exception())


class EncodedAck:
    """An answer given at the ack that never changes (a role's help), encoded once: `ack(**answer)`
    encodes its blocks to JSON on every request, which for the help was a tenth of its ack's CPU."""

    def __init__(self, text: str = "", **answer: Any) -> None:
        # Encoded by what Bolt's ack calls, so that the bytes are exactly those `ack(**answer)` sends.
        self.body: str = _set_response(_Holder(), text, **answer).body
        self.headers: dict[str, str | Sequence[str]] = {"content-type": "application/json;charset=utf-8"}

    def send(self, ack: AsyncAck) -> None:
        """Answer with it: what `await ack(**answer)` does (a new response each time: Bolt may change the
        one it is given, its status on a later error for one)."""
        ack.response = BoltResponse(status=200, body=self.body, headers=self.headers)


class _Holder:
    response: BoltResponse


def _settle(answered: asyncio.Future[None]) -> None:
    if not answered.done():
        answered.set_result(None)


def answer_promptly(app: AsyncApp) -> None:
    """Make `app` answer each request as soon as its listener acks."""
    app._async_listener_runner = PromptAckRunner(app.listener_runner)
