"""Fault injection for the sandbox simulators, configurable per provider.

A fault SPEC is a text the CLI takes (`switchboard sandbox --faults SPEC`)::

    spec    := rule (";" rule)*
    rule    := target ":" setting ("," setting)*
    target  := "zoom" | "livevox" | "routee" | "*"        ("*" = every provider)
    setting := key "=" value

Rules apply left to right, so a later rule overrides an earlier one for the same key
(`*:error_rate=0.1;zoom:error_rate=0` gives Zoom no errors). Whitespace around tokens is ignored;
an empty spec means no faults. Keys:

=====================  ======================================================================
``latency_ms=INT``     added latency before every request is handled (ms, >= 0)
``jitter_ms=INT``      plus a uniform random 0..jitter_ms ms
``error_rate=P``       probability (0..1) of answering a 5xx with the provider's error body
``error_status=INT``   the status those errors use: 500, 502, 503 or 504 (default 500)
``burst_429=N``        answer N consecutive requests with 429 (+ Retry-After: 1) ...
``burst_after=N``      ... starting at the N-th request (0-based, default 0) ...
``burst_every=N``      ... and again every N requests (default 0 = only once)
``drop_rate=P``        probability of closing the connection without any response
``malformed_rate=P``   probability of a 2xx JSON response whose body is cut in half (invalid JSON)
``token_expiry_rate=P``  probability that a *continuation* request (Zoom `next_page_token`,
                       LiveVox `pagination` > 1, Routee `page` > 0) finds its access token or
                       session expired: the token is revoked and the provider's 401 is returned,
                       while the page token stays valid (re-authenticate and repeat)
``rate_limit=N``       requests per second before 429 (LiveVox and Routee default 100; Zoom: overrides
                       the documented per-second limits of every label); 0 = unlimited
``daily_limit=N``      Zoom only: overrides the HEAVY daily limit (15,000 Pro / 30,000 Business); 0 = none
``plan=pro|business``  Zoom only: the account plan whose documented rate limits apply (default pro)
``seed=INT``           seed of this provider's fault RNG (default: derived from the world seed)
=====================  ======================================================================

Example::

    zoom:latency_ms=200,error_rate=0.1;livevox:drop_rate=0.05;routee:burst_429=5;*:malformed_rate=0.01

Random faults draw from a `random.Random` seeded per provider, so a given sequence of requests meets
the same faults on every run. Dropped connections: behind uvicorn the socket is closed without a byte
sent (clients see `httpx.RemoteProtocolError: Server disconnected without sending a response`); inside
`httpx.ASGITransport` (no socket) the app raises that same `httpx.RemoteProtocolError`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import ConfigError

ProviderName = Literal["zoom", "livevox", "routee"]
PROVIDERS: tuple[ProviderName, ...] = ("zoom", "livevox", "routee")
_PROVIDER_OFFSETS = {"zoom": 101, "livevox": 202, "routee": 303}


class FaultSpecError(ConfigError, ValueError):
    """The fault SPEC text cannot be parsed; the message says where and why."""


@dataclass(frozen=True)
class ProviderFaults:
    """The faults (and limit overrides) for one provider. All zero = a well-behaved provider."""

    latency_ms: int = 0
    jitter_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 500
    burst_429: int = 0
    burst_after: int = 0
    burst_every: int = 0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    token_expiry_rate: float = 0.0
    rate_limit: int | None = None
    daily_limit: int | None = None
    plan: str | None = None
    seed: int | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.latency_ms,
                self.jitter_ms,
                self.error_rate,
                self.burst_429,
                self.drop_rate,
                self.malformed_rate,
                self.token_expiry_rate,
            )
        )


_INT_KEYS = {
    "latency_ms",
    "jitter_ms",
    "burst_429",
    "burst_after",
    "burst_every",
    "rate_limit",
    "daily_limit",
}
_RATE_KEYS = {"error_rate", "drop_rate", "malformed_rate", "token_expiry_rate"}
_ZOOM_ONLY = {"plan", "daily_limit"}
_KNOWN_KEYS = [f.name for f in dataclasses.fields(ProviderFaults)]


@dataclass(frozen=True)
class FaultSpec:
    """Faults for the three providers. Build with `FaultSpec.parse("zoom:error_rate=0.1")`."""

    zoom: ProviderFaults = field(default_factory=ProviderFaults)
    livevox: ProviderFaults = field(default_factory=ProviderFaults)
    routee: ProviderFaults = field(default_factory=ProviderFaults)

    def for_provider(self, name: ProviderName) -> ProviderFaults:
        result: ProviderFaults = getattr(self, name)
        return result

    def with_latency(self, latency_ms: int) -> FaultSpec:
        """Add `latency_ms` to every provider (the CLI's --latency-ms)."""
        if latency_ms <= 0:
            return self
        return FaultSpec(
            **{
                name: dataclasses.replace(
                    self.for_provider(name), latency_ms=self.for_provider(name).latency_ms + latency_ms
                )
                for name in PROVIDERS
            }
        )

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        if text is None or not text.strip():
            return cls()
        values: dict[str, dict[str, Any]] = {name: {} for name in PROVIDERS}
        for number, raw_rule in enumerate(text.split(";"), start=1):
            rule = raw_rule.strip()
            if not rule:
                continue
            where = f"fault spec rule {number} ({rule!r})"
            target, sep, settings = rule.partition(":")
            target = target.strip().lower()
            if not sep:
                raise FaultSpecError(
                    f"{where}: expected TARGET:key=value[,key=value...], e.g. zoom:error_rate=0.1"
                )
            if target != "*" and target not in PROVIDERS:
                raise FaultSpecError(f"{where}: unknown target {target!r} (use zoom, livevox, routee or *)")
            targets: list[str] = list(PROVIDERS) if target == "*" else [target]
            if not settings.strip():
                raise FaultSpecError(f"{where}: no settings after {target!r}:")
            for raw_setting in settings.split(","):
                setting = raw_setting.strip()
                if not setting:
                    continue
                key, eq, value = (part.strip() for part in setting.partition("="))
                key = key.lower()
                if not eq or not value:
                    raise FaultSpecError(f"{where}: {setting!r} is not key=value")
                if key not in _KNOWN_KEYS:
                    raise FaultSpecError(f"{where}: unknown key {key!r} (known: {', '.join(_KNOWN_KEYS)})")
                if key in _ZOOM_ONLY and target != "zoom":
                    if target == "*":
                        targets_for_key = ["zoom"]
                    else:
                        raise FaultSpecError(f"{where}: {key!r} applies to zoom only")
                else:
                    targets_for_key = targets
                parsed = _parse_value(where, key, value)
                for name in targets_for_key:
                    values[name][key] = parsed
        return cls(**{name: ProviderFaults(**values[name]) for name in PROVIDERS})

    def __str__(self) -> str:
        rules = []
        default = ProviderFaults()
        for name in PROVIDERS:
            faults = self.for_provider(name)
            settings = [
                f"{f.name}={getattr(faults, f.name)}"
                for f in dataclasses.fields(faults)
                if getattr(faults, f.name) != getattr(default, f.name)
            ]
            if settings:
                rules.append(f"{name}:{','.join(settings)}")
        return ";".join(rules)


def _parse_value(where: str, key: str, value: str) -> Any:
    if key in _RATE_KEYS:
        try:
            rate = float(value)
        except ValueError:
            raise FaultSpecError(f"{where}: {key} must be a number between 0 and 1, got {value!r}") from None
        if not 0.0 <= rate <= 1.0:
            raise FaultSpecError(f"{where}: {key} must be between 0 and 1, got {value!r}")
        return rate
    if key == "plan":
        plan = value.lower()
        if plan not in ("pro", "business"):
            raise FaultSpecError(f"{where}: plan must be pro or business, got {value!r}")
        return plan
    try:
        number = int(value)
    except ValueError:
        raise FaultSpecError(f"{where}: {key} must be a whole number, got {value!r}") from None
    if key == "error_status":
        if number not in (500, 502, 503, 504):
            raise FaultSpecError(f"{where}: error_status must be 500, 502, 503 or 504, got {value!r}")
        return number
    if key in _INT_KEYS and number < 0:
        raise FaultSpecError(f"{where}: {key} must be >= 0, got {value!r}")
    return number


def coerce_spec(faults: str | FaultSpec | None) -> FaultSpec:
    if isinstance(faults, FaultSpec):
        return faults
    return FaultSpec.parse(faults)


ErrorResponder = Callable[[int], Response]
"""Builds the provider's own response for a status: 429 (a burst) or 5xx (an injected error)."""


class FaultInjector:
    """The stateful side of `ProviderFaults`: request counter and seeded RNG for one provider app."""

    def __init__(
        self, provider: ProviderName, config: ProviderFaults | None = None, world_seed: int = 7
    ) -> None:
        self.provider = provider
        self.config = config or ProviderFaults()
        seed = (
            self.config.seed
            if self.config.seed is not None
            else world_seed * 1000 + _PROVIDER_OFFSETS[provider]
        )
        self.rng = random.Random(seed)
        self.requests = 0
        self.paths: list[str] = []  # "POST /sms/agent/message/send": what was asked, in order
        self.injected: dict[str, int] = {}

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def _note(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def delay_seconds(self) -> float:
        extra = self.rng.randint(0, self.config.jitter_ms) if self.config.jitter_ms else 0
        return (self.config.latency_ms + extra) / 1000.0

    def in_burst(self, index: int) -> bool:
        c = self.config
        if c.burst_429 <= 0 or index < c.burst_after:
            return False
        offset = index - c.burst_after
        if c.burst_every > 0:
            return offset % c.burst_every < c.burst_429
        return offset < c.burst_429

    def roll_token_expiry(self) -> bool:
        """Called by the simulators on a continuation request; True = treat the caller's token as expired."""
        hit = self._roll(self.config.token_expiry_rate)
        if hit:
            self._note("token_expiry")
        return hit


class FaultMiddleware:
    """Pure ASGI middleware applying a provider's `FaultInjector` to every HTTP request."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, responder: ErrorResponder) -> None:
        self.app = app
        self.injector = injector
        self.responder = responder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        inj = self.injector
        index = inj.requests
        inj.requests += 1
        inj.paths.append(f"{scope.get('method', '')} {scope.get('path', '')}")
        delay = inj.delay_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        if inj._roll(inj.config.drop_rate):
            inj._note("drop")
            await drop_connection(scope)
            return
        if inj.in_burst(index):
            inj._note("burst_429")
            await self.responder(429)(scope, receive, send)
            return
        if inj._roll(inj.config.error_rate):
            inj._note("error")
            await self.responder(inj.config.error_status)(scope, receive, send)
            return
        if inj._roll(inj.config.malformed_rate):
            await self.app(scope, receive, _MalformingSend(send, inj))
            return
        await self.app(scope, receive, send)


class _MalformingSend:
    """Buffers a response and, when it is a 2xx JSON body, sends only its first half."""

    def __init__(self, send: Send, injector: FaultInjector) -> None:
        self.send = send
        self.injector = injector
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.chunks)
        start = dict(self.start)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if 200 <= int(start["status"]) < 300 and b"json" in content_type and len(body) > 1:
            body = body[: len(body) // 2]
            self.injector._note("malformed")
        headers.append((b"content-length", str(len(body)).encode()))
        start["headers"] = headers
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


RAW_SEND_KEY = "sandbox.raw_send"


async def drop_connection(scope: Scope) -> None:
    """Close the client connection without sending a response.

    Under uvicorn the server's own `send` (stored in the scope by `SandboxStarlette`) is a bound method of
    the request cycle, whose transport we close. Without a socket (httpx.ASGITransport), raise the error a
    client would see.
    """
    raw = scope.get(RAW_SEND_KEY)
    transport = getattr(getattr(raw, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        close()
        for _ in range(3):
            await asyncio.sleep(0)
        return
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
