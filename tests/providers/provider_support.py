"""Helpers for the provider client tests: a fake clock/sleep, scripted HTTP transports, seed examples."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
SEEDS = CONTRACTS / "seeds"
SPECS = CONTRACTS / "specs"

START = 1_718_000_000.0  # 2024-06-10T06:13:20Z


class FakeTime:
    """A wall clock that only moves when the code under test sleeps (or a test advances it)."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Recorder:
    """A MockTransport handler that records every request and delegates to `handler`."""

    def __init__(self, handler: Handler, time: FakeTime | None = None) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.time = time

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.time is not None:
            self.times.append(self.time.now)
        result = self.handler(request)
        if isinstance(result, Awaitable):
            result = await result
        return result

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def to(self, path_suffix: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(path_suffix)]


def script(*steps: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> Handler:
    """A handler answering with `steps` in order (the last one repeats); exceptions are raised."""
    remaining = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        step = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(step, Exception):
            if isinstance(step, httpx.RequestError):
                step = type(step)(str(step), request=request)
            raise step
        if callable(step):
            return step(request)
        return step

    return handler


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def basic(request: httpx.Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


# -- seed examples


def _last_json_line(name: str) -> Any:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    text = path.read_text()
    start = text.rindex("status: OK")
    return json.loads(text[start:].split("\n", 1)[1].strip().split("\n", 1)[0])


def zoom_cc_sms_example() -> Any:
    return _last_json_line("000")


def zoom_phone_session_example() -> Any:
    return _last_json_line("002")


def zoom_cc_voice_example() -> Any:
    return _last_json_line("004")


LIVEVOX_EXAMPLE_ORDER = [
    "templates",
    "sms_send",
    "codes",
    "channel_counts",
    "channels",
    "threads",
    "transfer",
    "transfer_agents",
    "message_send",
    "history",
]


def livevox_examples() -> dict[str, Any]:
    """The JSON bodies of LiveVox's example responses, in document order, named."""
    path = next(SEEDS.glob("001_*.txt"))
    text = path.read_text()
    decoder = json.JSONDecoder()
    found: list[Any] = []
    for match in re.finditer(r"#Response", text):
        segment = text[match.end() :]
        segment = segment[: segment.find("CODE")]
        starts = [p for p in (segment.find("{"), segment.find("[")) if p >= 0]
        if not starts:
            continue  # 204 No Content
        value, _ = decoder.raw_decode(segment[min(starts) :])
        found.append(value)
    assert len(found) == len(LIVEVOX_EXAMPLE_ORDER), len(found)
    return dict(zip(LIVEVOX_EXAMPLE_ORDER, found, strict=True))


PLACEHOLDERS: dict[str, Any] = {
    "<integer>": 42,
    "<long>": 7,
    "<boolean>": True,
    "<dateTime>": "2024-03-01T10:00:00Z",
}


def fill_placeholders(value: Any) -> Any:
    """Postman examples write "<integer>" where Zoom sends a number: put a value of the real type there."""
    if isinstance(value, dict):
        return {key: fill_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(item) for item in value]
    if isinstance(value, str) and value in PLACEHOLDERS:
        return PLACEHOLDERS[value]
    return value


def spec_example(schema: dict[str, Any]) -> Any:
    """An example document built from an OpenAPI schema's `example` values (every property present)."""
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: spec_example(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [spec_example(schema.get("items", {})), spec_example(schema.get("items", {}))]
    if "example" in schema:
        return schema["example"]
    return {"integer": 1, "number": 1.5, "boolean": False}.get(str(kind), "x")


def spec_response_example(spec_file: str, path: str) -> Any:
    spec = json.loads((SPECS / spec_file).read_text())
    schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return spec_example(schema)


ROUTEE_TRACKING_EXAMPLE: dict[str, Any] = {
    # Seed 003 lists the fields but has no example body; this follows its field list and Routee's docs.
    "totalPages": 1,
    "last": True,
    "totalElements": 1,
    "first": True,
    "numberOfElements": 1,
    "number": 0,
    "size": 20,
    "content": [
        {
            "applicationName": "default",
            "campaignName": "spring",
            "campaignTrackingId": "d8b3b0f6-1c3f-4c06-b9d6-000000000000",
            "country": "GR",
            "smsId": "b1d2c3a4-0000-4000-8000-000000000001",
            "messageId": "a1b2c3d4-0000-4000-8000-000000000002",
            "groups": ["customers"],
            "body": "Your appointment is tomorrow",
            "operator": "Cosmote",
            "originatingService": "Sms",
            "to": "+306948530920",
            "latency": 3,
            "parts": 1,
            "part": 1,
            "price": 0.0085,
            "label": "reminders",
            "status": {
                "date": "2024-06-09T10:00:03.000Z",
                "status": "Delivered",
                "reason": {"detailedStatus": "Delivered", "description": "The message was delivered"},
            },
            "from": "Switchboard",
            "direction": "Outbound",
            "receivedDate": None,
            "sort": {"unknown": "fields are kept"},
        }
    ],
    "sort": [],
}
