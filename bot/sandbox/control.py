"""The sandbox's control endpoints: what a test or a person does to the simulated world from outside,
under `/_sandbox/`, apart from every provider's API (no provider auth, no faults, plain JSON).

`POST /_sandbox/inject/inbound` with `{"from": "+14155550100", "inbox": "100915", "text": "Hi"}`: a
customer texts a LiveVox inbox (see `LiveVoxState.inject_inbound`). 201 for a new thread, 200 for a
message appended to the number's open thread, both with `{"threadId", "messageId", "inbox", "from",
"created", "date"}` (`date` in epoch milliseconds, as LiveVox writes it); 400 with `{"error": "<one
line>"}` for a body that is not that object, an unknown inbox, something that is not a phone number, an
empty text or one over LiveVox's limit.

`inject_inbound_over_http` is that call from a client (`switchboard sandbox inject inbound`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox._common import epoch_ms, json_response, read_json
from bot.sandbox.livevox import Injected, InjectError, LiveVoxState

INJECT_INBOUND_PATH = "/_sandbox/inject/inbound"
_FIELDS = ("from", "inbox", "text")


class SandboxUnreachable(Exception):
    """The sandbox did not answer, or answered something that is not its control endpoint's JSON."""


def control_routes(livevox: LiveVoxState) -> list[Route]:
    async def inject_inbound(request: Request) -> Response:
        ok, body = await read_json(request)
        if not ok or not isinstance(body, dict):
            return _refused("the body must be a JSON object with from, inbox and text")
        for key in _FIELDS:
            value = body.get(key)
            # An inbox id may come as a JSON number; the rest are strings.
            if not isinstance(value, str) and not (key == "inbox" and type(value) is int):
                return _refused(f"{key} is required (a string)")
        try:
            injected = livevox.inject_inbound(
                inbox=str(body["inbox"]), number=str(body["from"]), text=str(body["text"])
            )
        except InjectError as error:
            return _refused(str(error))
        return json_response(_injected_json(injected), 201 if injected.created else 200)

    return [Route(INJECT_INBOUND_PATH, inject_inbound, methods=["POST"])]


def _refused(reason: str) -> Response:
    return json_response({"error": reason}, 400)


def _injected_json(injected: Injected) -> dict[str, object]:
    return {
        "threadId": injected.thread_id,
        "messageId": injected.message_id,
        "inbox": injected.inbox,
        "from": injected.number,
        "created": injected.created,
        "date": epoch_ms(injected.at),
    }


def inject_inbound_over_http(
    sandbox_url: str, *, number: str, inbox: str, text: str, timeout: float = 10.0
) -> Injected:
    """Ask the sandbox at `sandbox_url` (e.g. `http://127.0.0.1:8900`) to take in a customer's text.

    Raises `InjectError` with the sandbox's one-line reason when it refuses, `SandboxUnreachable` when
    nothing (or something else) answers there."""
    url = sandbox_url.rstrip("/") + INJECT_INBOUND_PATH
    try:
        response = httpx.post(url, json={"from": number, "inbox": inbox, "text": text}, timeout=timeout)
    except httpx.HTTPError as error:
        raise SandboxUnreachable(f"no sandbox answers at {sandbox_url}: {error}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 400 and isinstance(body, dict) and isinstance(body.get("error"), str):
        raise InjectError(body["error"])
    if response.status_code not in (200, 201) or not isinstance(body, dict):
        raise SandboxUnreachable(
            f"{url} answered HTTP {response.status_code}, not the sandbox's control endpoint: "
            "is `switchboard sandbox` running there?"
        )
    try:
        return Injected(
            thread_id=str(body["threadId"]),
            message_id=str(body["messageId"]),
            inbox=str(body["inbox"]),
            number=str(body["from"]),
            created=bool(body["created"]),
            at=datetime.fromtimestamp(int(body["date"]) / 1000, UTC),
        )
    except (KeyError, TypeError, ValueError):
        raise SandboxUnreachable(f"{url} answered an unexpected body: {response.text[:200]}") from None
