"""Helpers shared by the simulators: the Starlette subclass, date parsing, rate windows, JSON bodies."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bot.sandbox.faults import RAW_SEND_KEY


class SandboxStarlette(Starlette):
    """A Starlette app that remembers the server's own `send` (outermost app wins) for dropped connections."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault(RAW_SEND_KEY, send)
        await super().__call__(scope, receive, send)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON, like the real APIs (no spaces), always `application/json`."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=headers, media_type="application/json")


def iso_z(value: datetime) -> str:
    """`2025-03-14T09:30:00Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(value: datetime) -> str:
    """`2025-03-14T09:30:00.123Z` (Routee's style)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ParsedTime:
    value: datetime
    date_only: bool


def parse_time(raw: str) -> ParsedTime | None:
    """`yyyy-mm-dd` or ISO 8601 (`Z`, an offset, or none = UTC). None when unreadable."""
    text = raw.strip()
    if not text:
        return None
    if _DATE_ONLY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return ParsedTime(datetime.combine(day, time(), tzinfo=UTC), True)
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return ParsedTime(value.astimezone(UTC), False)


def end_of(parsed: ParsedTime) -> datetime:
    """An inclusive upper bound: a date-only `to` covers that whole day."""
    if parsed.date_only:
        return parsed.value + timedelta(days=1) - timedelta(microseconds=1)
    return parsed.value


def query_list(request: Request, name: str) -> list[str]:
    """A list filter written as repeated params (`a=1&a=2`) or comma-separated (`a=1,2`), or both."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


class RateWindow:
    """Fixed one-second and one-day (00:00 UTC) windows, counted on the injectable clock."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._second_count = 0
        self._day: date | None = None
        self._day_count = 0

    def day_count(self, now: datetime) -> int:
        return self._day_count if self._day == now.date() else 0

    def check(self, now: datetime, per_second: int | None, per_day: int | None) -> str | None:
        """Count one request; return None when allowed, "second" or "day" when over that limit."""
        second = int(now.timestamp())
        if self._second != second:
            self._second, self._second_count = second, 0
        if self._day != now.date():
            self._day, self._day_count = now.date(), 0
        if per_day and self._day_count >= per_day:
            return "day"
        if per_second and self._second_count >= per_second:
            return "second"
        self._second_count += 1
        self._day_count += 1
        return None


def next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)


async def read_json(request: Request) -> tuple[bool, Any]:
    """(ok, value): ok is False when a body is present but is not JSON. An empty body reads as None."""
    raw = await request.body()
    if not raw.strip():
        return True, None
    try:
        return True, json.loads(raw)
    except ValueError:
        return False, None


async def read_params(request: Request) -> dict[str, str]:
    """Query parameters merged with an `application/x-www-form-urlencoded` body (token endpoints)."""
    params: dict[str, str] = dict(request.query_params)
    if "x-www-form-urlencoded" in request.headers.get("content-type", ""):
        raw = (await request.body()).decode("utf-8", "replace")
        params.update(dict(parse_qsl(raw, keep_blank_values=True)))
    return params
