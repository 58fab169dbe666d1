"""A local stand-in for the Slack Web API, response_urls and file uploads, with inspectable state.

`SlackEmulator` is an ASGI app. Point slack_sdk at ``<root>/api/`` (``AsyncWebClient(base_url=...)``,
``SLACK_API_URL``); slack_sdk talks aiohttp, so use ``async with emulator.serve() as api_url`` to run
it on uvicorn (127.0.0.1, a free port) in the current event loop.

Every handler mutates state without awaiting in between, so concurrent requests in one event loop
cannot interleave half-applied changes.

Like Slack, chat.postMessage is limited per channel: about one message per second, short bursts tolerated
(a bucket of `post_burst` messages refilled at `post_rate` per second, both configurable; None: no limit).
Past it the answer is what Slack sends: HTTP 429, a ``Retry-After`` header in whole seconds and
``{"ok": false, "error": "ratelimited"}``; the message is not posted.

It also plays Slack's side of an OAuth install (`register_oauth_app`): ``GET /oauth/v2/authorize`` (the
installer, set with `next_install`, approves at once and is sent back to the redirect URL with a code and
the state), ``oauth.v2.access`` (code exchange, and the ``refresh_token`` grant of token rotation), tokens
per workspace with an expiry (``token_expired`` once past it), and `uninstall` (its tokens then answer
``invalid_auth``).

Like Slack, a method that needs a scope the token was not granted answers ``missing_scope`` (with
``needed`` and ``provided``): `scopes` says what the emulator's own tokens hold (None: every scope), and a
token from an OAuth install holds the scopes its install asked for (`METHOD_SCOPES`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import math
import random
import re
import socket
import string
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.console.blockkit import MAX_MESSAGE_TEXT, validate_blocks, validate_view

DEFAULT_TOKEN = "xoxb-switchboard-console"  # noqa: S105 - the console's made-up bot token
TRIGGER_TTL = 3.0  # seconds, like Slack
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_MAX_POSTS = 5
MAX_VIEW_STACK = 3  # a root view plus two pushed ones
POST_RATE = 1.0  # chat.postMessage per second per channel (Slack: "about one")
POST_BURST = 10  # back-to-back posts tolerated before the rate applies
TOKEN_LIFETIME = 12 * 3600.0  # seconds: Slack's rotating tokens live 12 hours
OAUTH_CODE_TTL = 600.0  # seconds: an authorization code is exchanged once, within ten minutes

Clock = Callable[[], float]

# The bot scope each emulated Web API method needs ("Required scopes" on its page at
# https://docs.slack.dev/reference/methods). Methods not listed need none: auth.test, chat.getPermalink,
# views.open / push / update / publish and functions.completeSuccess / completeError. conversations.info
# needs the scope of the conversation's kind (`CONVERSATION_SCOPES`).
METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "users.info": "users:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
CONVERSATION_METHODS = frozenset({"conversations.info"})
CONVERSATION_SCOPES: dict[str, str] = {
    "public": "channels:read",
    "private": "groups:read",
    "im": "im:read",
    "mpim": "mpim:read",
}


class ManualClock:
    """A clock tests move by hand: ``clock.advance(3.1)``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


DEFAULT_USERS: tuple[dict[str, Any], ...] = (
    {"id": "U0AGENT", "name": "agent", "real_name": "Avery Agent", "tz": "America/New_York"},
    {"id": "U0SUPER", "name": "super", "real_name": "Sam Supervisor", "tz": "America/Chicago"},
    {"id": "U0ADMIN", "name": "admin", "real_name": "Ada Admin", "tz": "Europe/London"},
)
DEFAULT_CHANNELS: tuple[dict[str, Any], ...] = (
    {"id": "C0DEMO", "name": "demo"},
    {"id": "C0GENERAL", "name": "general"},
)


@dataclass
class Call:
    """One Web API call as the emulator received it (args merged from query, form and JSON)."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 200  # the HTTP status (429 when rate-limited)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class Message:
    """A message as a user would see it: in a channel, or ephemeral to one user."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    source: str  # chat.postMessage | chat.postEphemeral | response_url | user | files
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = None
    app_id: str | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def is_ephemeral(self) -> bool:
        return self.ephemeral_to is not None

    def payload(self, team_id: str) -> dict[str, Any]:
        """The ``message`` object Slack puts in API answers and interaction payloads."""
        data: dict[str, Any] = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts}
        if self.bot_id:
            data.update(bot_id=self.bot_id, app_id=self.app_id)
        if self.blocks:
            data["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            data["attachments"] = copy.deepcopy(self.attachments)
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.metadata:
            data["metadata"] = copy.deepcopy(self.metadata)
        if self.files:
            data["files"] = copy.deepcopy(self.files)
        if self.edits:
            data["edited"] = {"user": self.user, "ts": self.ts}
        data["team"] = team_id
        return data


@dataclass
class View:
    """An open modal (one level of a user's stack) or a user's App Home."""

    id: str
    user: str
    data: dict[str, Any]  # the view as Slack returns it (id, hash, state, root_view_id, …)

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def hash(self) -> str:
        return str(self.data.get("hash", ""))

    @property
    def callback_id(self) -> str:
        return str(self.data.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        return str(self.data.get("private_metadata", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = self.data.get("blocks", [])
        return blocks

    @property
    def title(self) -> str:
        title = self.data.get("title")
        return str(title.get("text", "")) if isinstance(title, Mapping) else ""


@dataclass
class ResponseUrl:
    id: str
    url: str
    channel: str
    user: str
    created: float
    original: Message | None = None
    posts: int = 0


@dataclass
class ResponsePost:
    """One POST to a response_url, accepted or not."""

    url_id: str
    body: dict[str, Any]
    status: int
    result: str
    message: Message | None = None


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    alt_txt: str | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    path: Path | None = None  # where the emulator saved it (with `files_dir`), for people to open

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.data or b""),
            "channels": list(self.channels),
        }
        if self.alt_txt:
            data["alt_txt"] = self.alt_txt
        if self.path is not None:
            # Slack's url_private is an https link to its own storage; here, the saved copy
            data["url_private"] = self.path.as_uri()
        return data


@dataclass
class Change:
    """Something a user would notice; the console prints these. ``kind`` is one of message,
    message_changed, message_deleted, view_opened, view_pushed, view_updated, view_closed, home."""

    seq: int
    kind: str
    user: str | None = None
    message: Message | None = None
    view: View | None = None


@dataclass
class OAuthApp:
    """A Slack app as `oauth.v2.access` knows it: its credentials and its Redirect URLs."""

    client_id: str
    client_secret: str
    redirect_urls: tuple[str, ...]
    token_rotation: bool = False


@dataclass
class Installer:
    """Who approves the next install on the authorize page, and where (an org-wide install has no team)."""

    user_id: str
    team_id: str | None
    team_name: str = ""
    enterprise_id: str | None = None
    enterprise_name: str = ""

    @property
    def is_enterprise_install(self) -> bool:
        return self.team_id is None and self.enterprise_id is not None


@dataclass
class IssuedToken:
    token: str
    team_id: str | None
    enterprise_id: str | None
    expires_at: float | None  # None: never (a token of an app without token rotation)
    kind: str = "bot"  # bot | refresh
    scopes: frozenset[str] | None = None  # what its install granted (None: every scope)


@dataclass
class _Code:
    installer: Installer
    client_id: str
    redirect_uri: str
    scope: str
    created: float


@dataclass
class FunctionExecution:
    """One run of an app's custom function (a Workflow Builder step), from `function_executed` to its
    `functions.completeSuccess` / `functions.completeError`."""

    id: str  # function_execution_id (Fx…)
    callback_id: str
    inputs: dict[str, Any]
    token: str  # the workflow token (bot_access_token) the event hands the app for this run
    workflow_execution_id: str
    function_id: str
    started: float
    # The workspace (or Enterprise Grid org) whose workflow runs it: only its own tokens may complete it.
    team_id: str | None = None
    enterprise_id: str | None = None
    state: str = "running"  # running | completed | failed
    outputs: dict[str, Any] | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"


class SlackError(Exception):
    def __init__(
        self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra


class _PostBudget:
    """One channel's chat.postMessage allowance: a bucket of `burst` posts refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), now

    def take(self, now: float) -> float | None:
        """None when a post may go now (and counts it); else seconds until one may."""
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _decoded(value: Any, name: str) -> Any:
    """Form-encoded arguments carry JSON as strings (blocks, view, files…)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {name}: invalid json"]}
            ) from error
    return value


def _fits(kind: str, value: Any) -> bool:
    """Whether an output value is of its declared Slack type (types the emulator does not model pass)."""
    if kind in ("integer", "slack#/types/timestamp"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "slack#/types/user_id":
        return isinstance(value, str) and value[:1] in ("U", "W")
    if kind == "slack#/types/channel_id":
        return isinstance(value, str) and value[:1] in ("C", "G", "D")
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    return True


class _QuietServer(uvicorn.Server):
    """uvicorn without signal handlers: the emulator lives inside someone else's program."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


class SlackEmulator:
    """The Slack Web API, response_urls and uploads for one workspace, in memory."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        team_id: str = "T0SWITCH",
        team_domain: str = "switchboard",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0SWITCH",
        users: Iterable[Mapping[str, Any]] = DEFAULT_USERS,
        channels: Iterable[Mapping[str, Any]] = DEFAULT_CHANNELS,
        clock: Clock = time.time,
        base_url: str = "http://slack.emulator",
        seed: int = 0,
        post_rate: float | None = POST_RATE,
        post_burst: int = POST_BURST,
        files_dir: Path | None = None,
        functions: Mapping[str, Mapping[str, Any]] | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        """`post_rate` / `post_burst`: chat.postMessage's per-channel limit (None: unlimited). `files_dir`:
        where uploaded files are also saved, so a person can open them (None: kept in memory only).
        `functions`: the app's custom functions as its manifest declares them (callback_id → title,
        description, input_parameters, output_parameters); completions are checked against them.
        `scopes`: the bot scopes `tokens` were granted (None: every scope, nothing is checked); a method
        needing another one answers ``missing_scope``, as Slack does. Settable later (`emulator.scopes`)."""
        self.tokens = set(tokens)
        self.scopes: frozenset[str] | None = frozenset(scopes) if scopes is not None else None
        self.oauth_apps: dict[str, OAuthApp] = {}
        self.issued: dict[str, IssuedToken] = {}  # tokens (and refresh tokens) minted by oauth.v2.access
        self.installer: Installer | None = None
        self.token_lifetime = TOKEN_LIFETIME
        self._codes: dict[str, _Code] = {}
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self._random = random.Random(seed)
        self._last_ts = 0.0
        self.post_rate = post_rate
        self.post_burst = max(1, post_burst)
        self._post_budgets: dict[str, _PostBudget] = {}
        self.files_dir = files_dir
        self.functions: dict[str, dict[str, Any]] = {
            k: copy.deepcopy(dict(v)) for k, v in (functions or {}).items()
        }
        self.executions: dict[str, FunctionExecution] = {}
        self._caller: str | None = None  # the token of the Web API call being answered
        # Seconds a Web API method takes to answer (tests widen a race with it: two refreshes in flight).
        self.latency: dict[str, float] = {}

        self.users: dict[str, dict[str, Any]] = {}
        for user in users:
            self.add_user(**user)
        self.channels: dict[str, dict[str, Any]] = {}
        for channel in channels:
            self.add_channel(**channel)

        self.calls: list[Call] = []
        self.unknown_calls: list[Call] = []
        self._failing: dict[str, list[str]] = {}  # method: the errors its next calls get (`fail_next`)
        self.messages: list[Message] = []
        self.response_urls: dict[str, ResponseUrl] = {}
        self.response_posts: list[ResponsePost] = []
        self.files: dict[str, UploadedFile] = {}
        self.views: dict[str, View] = {}
        self.view_stacks: dict[str, list[View]] = {}
        self.homes: dict[str, View] = {}
        self.changes: list[Change] = []
        self._triggers: dict[str, tuple[str, float]] = {}
        self._used_triggers: set[str] = set()
        self.activity = 0  # bumped by every request; the driver waits for it to stay still
        self.last_activity = time.monotonic()

        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/oauth/v2/authorize", self._authorize, methods=["GET"]),
                Route("/response/{url_id}", self._response_url, methods=["POST"]),
                Route("/upload/{file_id}", self._upload, methods=["POST"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # --------------------------------------------------------------------------------- directory
    @property
    def api_url(self) -> str:
        """What to use as ``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    def add_user(
        self,
        id: str,
        name: str,
        real_name: str = "",
        tz: str = "America/New_York",
        display_name: str | None = None,
        is_admin: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        user = {
            "id": id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name or name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 0,
            "is_bot": False,
            "is_admin": is_admin,
            "profile": {
                "real_name": real_name or name,
                "display_name": display_name if display_name is not None else name,
            },
            **extra,
        }
        self.users[id] = user
        return user

    def add_channel(self, id: str, name: str, is_private: bool = False, **extra: Any) -> dict[str, Any]:
        channel = {
            "id": id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_private": is_private,
            "is_archived": False,
            "is_member": True,
            "context_team_id": self.team_id,
            **extra,
        }
        self.channels[id] = channel
        return channel

    def find_user(self, ref: str) -> str | None:
        """A user id from ``U…``, ``@name``, ``name`` or a display/real name (case-insensitive)."""
        ref = ref.strip().lstrip("@")
        if ref in self.users:
            return ref
        lowered = ref.lower()
        for user in self.users.values():
            names = (user["name"], user["real_name"], user["profile"].get("display_name", ""))
            if lowered in (n.lower() for n in names if n):
                return str(user["id"])
        if ref[:1] in ("U", "W") and ref.isalnum() and ref.isupper():
            return ref
        return None

    def find_channel(self, ref: str) -> str | None:
        ref = ref.strip().lstrip("#")
        if ref in self.channels:
            return ref
        for channel in self.channels.values():
            if channel["name"] == ref:
                return str(channel["id"])
        return None

    def channel_name(self, channel: str) -> str:
        info = self.channels.get(channel)
        return str(info["name"]) if info else channel

    def _dm_channel(self, user: str) -> str:
        channel = "D" + user[1:]
        if channel not in self.channels:
            self.channels[channel] = {
                "id": channel,
                "name": channel,
                "is_channel": False,
                "is_group": False,
                "is_im": True,
                "is_private": True,
                "user": user,
                "is_member": True,
                "context_team_id": self.team_id,
            }
        return channel

    # ----------------------------------------------------------------------------------- helpers
    def _id(self, prefix: str, length: int = 10) -> str:
        return prefix + "".join(self._random.choices(string.ascii_uppercase + string.digits, k=length))

    def _short_id(self) -> str:
        return "".join(self._random.choices(string.ascii_letters + string.digits, k=5))

    def _new_ts(self) -> str:
        now = max(self.clock(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def _hash(self) -> str:
        return f"{int(self.clock())}.{self._id('', 8).lower()}"

    def _touch(self) -> None:
        self.activity += 1
        self.last_activity = time.monotonic()

    def _change(
        self, kind: str, *, user: str | None = None, message: Message | None = None, view: View | None = None
    ) -> None:
        self.changes.append(Change(len(self.changes) + 1, kind, user=user, message=message, view=view))

    @property
    def seq(self) -> int:
        """The sequence number of the latest change (0 when none)."""
        return len(self.changes)

    def changes_since(self, seq: int) -> list[Change]:
        return self.changes[seq:]

    def _with_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Slack fills in missing block_ids and action_ids; so does the emulator."""
        blocks = copy.deepcopy(blocks)
        for block in blocks:
            if not isinstance(block, dict):
                continue
            block.setdefault("block_id", self._short_id())
            elements: list[Any] = []
            if block.get("type") == "actions":
                elements = block.get("elements") or []
            elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
                elements = [block["accessory"]]
            elif block.get("type") == "input" and isinstance(block.get("element"), dict):
                elements = [block["element"]]
            for element in elements:
                if isinstance(element, dict) and element.get("type") != "image":
                    element.setdefault("action_id", self._short_id())
        return blocks

    # ------------------------------------------------------------------------------ state access
    def channel_messages(self, channel: str, *, include_replies: bool = True) -> list[Message]:
        """Live (not deleted) non-ephemeral messages of a channel, oldest first."""
        return [
            m
            for m in self.messages
            if m.channel == channel
            and not m.deleted
            and not m.is_ephemeral
            and (include_replies or m.thread_ts in (None, m.ts))
        ]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Message]:
        """Live ephemeral messages, optionally for one channel and/or user, oldest first."""
        return [
            m
            for m in self.messages
            if m.is_ephemeral
            and not m.deleted
            and (channel is None or m.channel == channel)
            and (user is None or m.ephemeral_to == user)
        ]

    def thread(self, channel: str, ts: str) -> list[Message]:
        return [m for m in self.channel_messages(channel) if m.ts == ts or m.thread_ts == ts]

    def message(self, channel: str, ts: str) -> Message | None:
        for m in self.messages:
            if m.channel == channel and m.ts == ts and not m.deleted:
                return m
        return None

    def current_view(self, user: str) -> View | None:
        stack = self.view_stacks.get(user)
        return stack[-1] if stack else None

    def view_stack(self, user: str) -> list[View]:
        return list(self.view_stacks.get(user, []))

    def home(self, user: str) -> View | None:
        return self.homes.get(user)

    def remove_bot(self, channel: str) -> None:
        """Someone removed the app from `channel` (`/remove @Switchboard`): posting there is refused."""
        self.channels[channel]["is_member"] = False

    def fail_next(self, method: str, error: str = "fatal_error", times: int = 1) -> None:
        """The next `times` calls of `method` are refused with `error`, as Slack refuses a call when it
        cannot take it (an outage: `fatal_error`, `internal_error`; a channel gone: `channel_not_found`)."""
        self._failing.setdefault(method, []).extend([error] * times)

    def stop_failing(self, method: str) -> None:
        """`method` is answered again (the failures `fail_next` queued for it and not yet met are dropped)."""
        self._failing.pop(method, None)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def post_user_message(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """A message typed by a person (for message shortcuts and threads)."""
        message = Message(
            channel=channel,
            ts=self._new_ts(),
            text=text,
            blocks=[],
            user=user,
            source="user",
            thread_ts=thread_ts,
        )
        self.messages.append(message)
        self._change("message", user=user, message=message)
        return message

    # ------------------------------------------------------------------- triggers & response_urls
    def new_trigger_id(self, user: str = "U0AGENT") -> str:
        """A trigger_id for ``user``: single use, valid for 3 seconds of ``clock``."""
        digits = "".join(self._random.choices(string.digits, k=10))
        trigger = f"{digits}.{self._random.randrange(10**12)}.{self._random.getrandbits(128):032x}"
        self._triggers[trigger] = (user, self.clock())
        return trigger

    def _take_trigger(self, trigger_id: Any) -> str:
        if not isinstance(trigger_id, str) or not trigger_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]},
            )
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        found = self._triggers.get(trigger_id)
        if found is None:
            raise SlackError("invalid_trigger_id")
        user, created = found
        if self.clock() - created > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        del self._triggers[trigger_id]
        self._used_triggers.add(trigger_id)
        return user

    def new_response_url(self, channel: str, user: str, *, original: Message | None = None) -> str:
        """A response_url for ``user`` in ``channel``; ``original`` is the message it may replace
        or delete (the message holding the clicked button), None for commands and shortcuts."""
        url_id = self._id("", 16).lower()
        url = f"{self.base_url}/response/{url_id}"
        self.response_urls[url_id] = ResponseUrl(url_id, url, channel, user, self.clock(), original)
        return url

    # ---------------------------------------------------------------------------- custom functions
    def start_function(
        self,
        callback_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        team_id: str | None = None,
        enterprise_id: str | None = None,
    ) -> FunctionExecution:
        """A workflow of workspace `team_id` (the emulator's own by default; of Enterprise Grid org
        `enterprise_id`) reaches the app's step `callback_id`: a running execution with its own workflow
        token (valid until the execution ends), for `function_event` to deliver."""
        if self.functions and callback_id not in self.functions:
            raise LookupError(f"the app declares no function {callback_id!r}")
        token = f"xwfp-{self._id('', 12)}-{self._id('', 24).lower()}"
        execution = FunctionExecution(
            id=self._id("Fx"),
            callback_id=callback_id,
            inputs=copy.deepcopy(dict(inputs or {})),
            token=token,
            workflow_execution_id=self._id("Wx"),
            function_id=self._id("Fn"),
            started=self.clock(),
            team_id=team_id or self.team_id,
            enterprise_id=enterprise_id,
        )
        self.executions[execution.id] = execution
        self.tokens.add(token)
        return execution

    def function_event(self, execution: FunctionExecution) -> dict[str, Any]:
        """The `function_executed` event body Slack sends for `execution` (the Events API wraps it)."""
        definition = self.functions.get(execution.callback_id, {})

        def parameters(key: str) -> list[dict[str, Any]]:
            found = definition.get(key) or {}
            return [{"name": name, **copy.deepcopy(dict(param))} for name, param in found.items()]

        return {
            "type": "function_executed",
            "function": {
                "id": execution.function_id,
                "callback_id": execution.callback_id,
                "title": definition.get("title", execution.callback_id),
                "description": definition.get("description", ""),
                "type": "app",
                "input_parameters": parameters("input_parameters"),
                "output_parameters": parameters("output_parameters"),
                "app_id": self.app_id,
                "date_created": int(execution.started) - 86400,
                "date_updated": int(execution.started) - 3600,
                "date_deleted": 0,
            },
            "inputs": copy.deepcopy(execution.inputs),
            "function_execution_id": execution.id,
            "workflow_execution_id": execution.workflow_execution_id,
            "event_ts": f"{execution.started:.6f}",
            "bot_access_token": execution.token,
        }

    def completions(self, callback_id: str | None = None) -> list[Call]:
        """The functions.completeSuccess / completeError calls (of one function's executions)."""
        return [
            c
            for c in self.calls
            if c.method in ("functions.completeSuccess", "functions.completeError")
            and (
                callback_id is None
                or getattr(self.executions.get(str(c.args.get("function_execution_id"))), "callback_id", None)
                == callback_id
            )
        ]

    # -------------------------------------------------------------------------------- API surface
    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        self._touch()
        args: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if body:
            if "application/json" in content_type:
                try:
                    decoded = json.loads(body)
                except ValueError:
                    return JSONResponse({"ok": False, "error": "invalid_json"})
                if isinstance(decoded, dict):
                    args.update(decoded)
            elif "multipart/form-data" in content_type:
                try:
                    form = await request.form()
                except AssertionError:  # starlette without python-multipart
                    return JSONResponse({"ok": False, "error": "invalid_form_data"})
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                args.update(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
        token: str | None = None
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        elif auth.lower().startswith("basic "):  # oauth.v2.access: client_id:client_secret
            with contextlib.suppress(ValueError):
                client_id, _, client_secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
                args.setdefault("client_id", client_id)
                args.setdefault("client_secret", client_secret)
        elif isinstance(args.get("token"), str):
            token = args.pop("token")
        args.pop("token", None)
        if self.latency.get(method):
            await asyncio.sleep(self.latency[method])
        call = Call(method=method, args=args, token=token, at=self.clock())
        self.calls.append(call)
        call.response = self.handle(method, args, token, call)
        return JSONResponse(call.response, status_code=call.status, headers=call.headers or None)

    def handle(
        self, method: str, args: dict[str, Any], token: str | None, call: Call | None = None
    ) -> dict[str, Any]:
        """Answer one Web API call (also usable without HTTP)."""
        if method == "oauth.v2.access":  # authenticated by the app's client id and secret, not a token
            try:
                return {"ok": True, **self._oauth_v2_access(args)}
            except SlackError as error:
                return {"ok": False, "error": error.error}
        if token is None:
            return {"ok": False, "error": "not_authed"}
        issued = self.issued.get(token)
        if issued is not None and issued.kind == "bot":
            if issued.expires_at is not None and self.clock() >= issued.expires_at:
                return {"ok": False, "error": "token_expired"}
        elif token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        failing = self._failing.get(method)
        if failing:  # a failure a test asked for: Slack refusing this call, as it can (fatal_error…)
            return {"ok": False, "error": failing.pop(0)}
        granted = issued.scopes if issued is not None else self.scopes
        needed = self.scope_needed(method, args)
        if granted is not None and needed is not None and needed not in granted:
            provided = ",".join(sorted(granted))
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        handler = self._methods().get(method)
        if handler is None:
            if call is not None:
                self.unknown_calls.append(call)
            return {"ok": False, "error": "unknown_method", "req_method": method}
        try:
            if method == "auth.test":
                return {"ok": True, **self._auth_test(args, token)}
            self._caller = token
            return {"ok": True, **handler(args)}
        except SlackError as error:
            if call is not None:
                call.status, call.headers = error.status, error.headers
            return {"ok": False, "error": error.error, **error.extra}

    def scope_needed(self, method: str, args: Mapping[str, Any]) -> str | None:
        """The bot scope a call of `method` needs (None: none). A conversation's read methods need the
        scope of its kind; one the emulator does not know needs any of them, `channels:read` named."""
        if method not in CONVERSATION_METHODS:
            return METHOD_SCOPES.get(method)
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None:
            return CONVERSATION_SCOPES["public"]
        if channel.get("is_im"):
            return CONVERSATION_SCOPES["im"]
        if channel.get("is_mpim"):
            return CONVERSATION_SCOPES["mpim"]
        return CONVERSATION_SCOPES["private" if channel.get("is_private") else "public"]

    @property
    def rate_limited(self) -> list[Call]:
        """The calls refused with HTTP 429."""
        return [c for c in self.calls if c.status == 429]

    def _take_post_slot(self, channel: str) -> None:
        """Count a chat.postMessage against its channel; refuse it as Slack does past the limit."""
        if self.post_rate is None:
            return
        now = self.clock()
        budget = self._post_budgets.get(channel)
        if budget is None:
            budget = self._post_budgets[channel] = _PostBudget(self.post_rate, self.post_burst, now)
        wait = budget.take(now)
        if wait is not None:
            # Slack's Retry-After is whole seconds, never 0
            raise SlackError("ratelimited", status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
        }

    # ------------------------------------------------------------------------------------ methods
    def _auth_test(self, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        issued = self.issued.get(token or "")
        answer: dict[str, Any] = {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "switchboard",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
        if issued is not None:  # a token of an install: its own workspace (or org)
            answer.update(
                team_id=issued.team_id,
                enterprise_id=issued.enterprise_id,
                is_enterprise_install=issued.team_id is None,
            )
        return answer

    @staticmethod
    def _require(args: dict[str, Any], name: str) -> str:
        value = args.get(name)
        if value is None or value == "":
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
            )
        return str(value)

    def _resolve_channel(self, channel: str) -> str:
        if channel.startswith("#"):
            found = self.find_channel(channel)
            if found:
                return found
        if channel[:1] in ("U", "W") and channel in self.users:
            return self._dm_channel(channel)
        if channel not in self.channels:
            raise SlackError("channel_not_found")
        return channel

    def _content(
        self, args: dict[str, Any], *, need_content: bool = True
    ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        text = args.get("text") or ""
        if not isinstance(text, str):
            text = str(text)
        blocks = _decoded(args.get("blocks"), "blocks") if args.get("blocks") not in (None, "") else None
        attachments = (
            _decoded(args.get("attachments"), "attachments")
            if args.get("attachments") not in (None, "")
            else None
        )
        if need_content and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        if blocks is not None:
            errors = validate_blocks(blocks, "message")
            if errors:
                raise SlackError("invalid_blocks", errors=errors)
            blocks = self._with_ids(blocks)
        return text, blocks or [], attachments if isinstance(attachments, list) else []

    def _new_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        attachments: list[dict[str, Any]],
        *,
        source: str,
        **extra: Any,
    ) -> Message:
        message = Message(
            channel=channel,
            ts=self._new_ts(),
            text=text,
            blocks=blocks,
            attachments=attachments,
            user=self.bot_user_id,
            bot_id=self.bot_id,
            app_id=self.app_id,
            source=source,
            **extra,
        )
        self.messages.append(message)
        self._change("message", user=message.ephemeral_to, message=message)
        return message

    def _can_post(self, channel: str) -> None:
        """What Slack answers a bot with `chat:write` (not `chat:write.public`) posting where it is not:
        `not_in_channel` in a public channel it was removed from (or never invited to), `channel_not_found`
        in such a private one (it cannot see it), `is_archived` in an archived one."""
        found = self.channels[channel]
        if found.get("is_archived"):
            raise SlackError("is_archived")
        if not found.get("is_member", True):
            raise SlackError("channel_not_found" if found.get("is_private") else "not_in_channel")

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(self._require(args, "channel"))
        self._can_post(channel)
        self._take_post_slot(channel)
        text, blocks, attachments = self._content(args)
        metadata = _decoded(args.get("metadata"), "metadata") if args.get("metadata") else None
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None and self.message(channel, str(thread_ts)) is None:
            raise SlackError("thread_not_found")
        message = self._new_message(
            channel,
            text,
            blocks,
            attachments,
            source="chat.postMessage",
            thread_ts=thread_ts,
            metadata=metadata,
        )
        return {"channel": channel, "ts": message.ts, "message": message.payload(self.team_id)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(self._require(args, "channel"))
        user = self._require(args, "user")
        text, blocks, attachments = self._content(args)
        message = self._new_message(
            channel,
            text,
            blocks,
            attachments,
            source="chat.postEphemeral",
            ephemeral_to=user,
            thread_ts=args.get("thread_ts") or None,
        )
        return {"message_ts": message.ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(self._require(args, "channel"))
        ts = self._require(args, "ts")
        message = self.message(channel, ts)
        if message is None or message.is_ephemeral:
            raise SlackError("message_not_found")
        if message.user != self.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks, attachments = self._content(args, need_content=False)
        if "text" in args:
            message.text = text
        if args.get("blocks") is not None:
            message.blocks = blocks
        if args.get("attachments") is not None:
            message.attachments = attachments
        if args.get("metadata"):
            message.metadata = _decoded(args.get("metadata"), "metadata")
        message.edits += 1
        self._change("message_changed", message=message)
        return {"channel": channel, "ts": ts, "text": message.text, "message": message.payload(self.team_id)}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(self._require(args, "channel"))
        ts = self._require(args, "ts")
        message = self.message(channel, ts)
        if message is None or message.is_ephemeral:
            raise SlackError("message_not_found")
        if message.user != self.bot_user_id:
            raise SlackError("cant_delete_message")
        message.deleted = True
        self._change("message_deleted", message=message)
        return {"channel": channel, "ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(self._require(args, "channel"))
        ts = self._require(args, "message_ts")
        if self.message(channel, ts) is None:
            raise SlackError("message_not_found")
        return {
            "channel": channel,
            "permalink": f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _view_arg(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _decoded(args.get("view"), "view")
        if not isinstance(view, dict):
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: view"]}
            )
        errors = validate_view(view)
        if errors:
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )
        return view

    def _make_view(
        self,
        user: str,
        view: dict[str, Any],
        *,
        view_id: str | None = None,
        root: str | None = None,
        previous: str | None = None,
    ) -> View:
        view_id = view_id or self._id("V")
        data = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type"),
            "blocks": self._with_ids(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._hash(),
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        result = View(id=view_id, user=user, data=data)
        self.views[view_id] = result
        return result

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_arg(args)
        if view.get("type") != "modal":
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] must be modal [json-pointer:/view/type]"]},
            )
        user = self._take_trigger(args.get("trigger_id"))
        for old in self.view_stacks.pop(user, []):
            self.views.pop(old.id, None)
        opened = self._make_view(user, view)
        self.view_stacks[user] = [opened]
        self._change("view_opened", user=user, view=opened)
        return {"view": copy.deepcopy(opened.data)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_arg(args)
        if view.get("type") != "modal":
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] must be modal [json-pointer:/view/type]"]},
            )
        user = self._take_trigger(args.get("trigger_id"))
        stack = self.view_stacks.get(user)
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackError("push_limit_reached")
        pushed = self._make_view(user, view, root=stack[0].id, previous=stack[-1].id)
        stack.append(pushed)
        self._change("view_pushed", user=user, view=pushed)
        return {"view": copy.deepcopy(pushed.data)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        target: View | None = None
        if view_id:
            target = self.views.get(str(view_id))
        elif external_id:
            target = next((v for v in self.views.values() if v.data.get("external_id") == external_id), None)
        else:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: view_id or external_id"]},
            )
        if target is None:
            raise SlackError("not_found")
        view = self._view_arg(args)
        if view.get("type") != target.type:
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] cannot change the view type [json-pointer:/view/type]"]
                },
            )
        expected = args.get("hash")
        if expected and expected != target.hash:
            raise SlackError("hash_conflict")
        self.update_view(target, view)
        return {"view": copy.deepcopy(target.data)}

    def update_view(self, target: View, view: Mapping[str, Any]) -> None:
        """Replace a view's content in place (views.update, response_action update)."""
        fresh = self._make_view(
            target.user,
            dict(view),
            view_id=target.id,
            root=target.data.get("root_view_id"),
            previous=target.data.get("previous_view_id"),
        )
        target.data = fresh.data
        self.views[target.id] = target
        self._change("home" if target.type == "home" else "view_updated", user=target.user, view=target)

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._require(args, "user_id")
        view = self._view_arg(args)
        if view.get("type") != "home":
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] must be home [json-pointer:/view/type]"]},
            )
        current = self.homes.get(user)
        expected = args.get("hash")
        if expected and current is not None and expected != current.hash:
            raise SlackError("hash_conflict")
        if current is None:
            current = self._make_view(user, view)
            self.homes[user] = current
            self._change("home", user=user, view=current)
        else:
            self.update_view(current, view)
        return {"view": copy.deepcopy(current.data)}

    def _running_execution(self, args: dict[str, Any]) -> FunctionExecution:
        execution = self.executions.get(self._require(args, "function_execution_id"))
        if execution is None:
            raise SlackError("function_execution_not_found")
        issued = self.issued.get(self._caller or "")
        if issued is not None and not (
            issued.team_id == execution.team_id
            if issued.team_id is not None
            else issued.enterprise_id is not None and issued.enterprise_id == execution.enterprise_id
        ):
            # Another workspace's bot token (an org-wide install's serves its org's workspaces): Slack
            # does not show one workspace another's workflow runs.
            raise SlackError("function_execution_not_found")
        if not execution.running:
            raise SlackError("execution_not_in_running_state")
        return execution

    def _end(self, execution: FunctionExecution, state: str) -> None:
        execution.state = state
        self.tokens.discard(execution.token)  # a workflow token lives as long as its execution

    def _functions_complete_success(self, args: dict[str, Any]) -> dict[str, Any]:
        execution = self._running_execution(args)
        raw = args.get("outputs")
        if raw is None:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: outputs"]},
            )
        outputs = _decoded(raw, "outputs")
        if not isinstance(outputs, dict):
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] outputs: not an object"]}
            )
        problems = self._output_problems(execution.callback_id, outputs)
        if problems:
            raise SlackError("parameter_validation_failed", errors=problems)
        execution.outputs = copy.deepcopy(outputs)
        self._end(execution, "completed")
        return {}

    def _functions_complete_error(self, args: dict[str, Any]) -> dict[str, Any]:
        execution = self._running_execution(args)
        error = args.get("error")
        if not isinstance(error, str) or not error.strip():
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: error"]}
            )
        execution.error = error
        self._end(execution, "failed")
        return {}

    def _output_problems(self, callback_id: str, outputs: Mapping[str, Any]) -> list[str]:
        """What Slack would refuse in `outputs`, given the function's declared output parameters."""
        definition = self.functions.get(callback_id)
        if definition is None:
            return []  # no manifest to check against
        declared: Mapping[str, Any] = definition.get("output_parameters") or {}
        problems = [f"{name}: not an output of {callback_id}" for name in outputs if name not in declared]
        for name, param in declared.items():
            if name not in outputs or outputs[name] is None:
                if param.get("is_required"):
                    problems.append(f"{name}: required")
                continue
            if not _fits(str(param.get("type", "")), outputs[name]):
                problems.append(f"{name}: {outputs[name]!r} is not of type {param.get('type')}")
        return problems

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(self._require(args, "user"))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(self._require(args, "channel"))
        # A private channel the bot is not in is one it cannot see.
        if channel is None or (channel.get("is_private") and not channel.get("is_member", True)):
            raise SlackError("channel_not_found")
        return {"channel": copy.deepcopy(channel)}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = self._require(args, "filename")
        try:
            length = int(self._require(args, "length"))
        except ValueError as error:
            raise SlackError("invalid_arguments") from error
        file_id = self._id("F")
        self.files[file_id] = UploadedFile(file_id, filename, length, alt_txt=args.get("alt_txt"))
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = _decoded(self._require(args, "files"), "files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        done: list[UploadedFile] = []
        for entry in entries:
            uploaded = self.files.get(str(entry.get("id")))
            if uploaded is None or uploaded.data is None:
                raise SlackError("file_not_found")
            uploaded.title = entry.get("title") or uploaded.filename
            done.append(uploaded)
        channels: list[str] = []
        if args.get("channel_id"):
            channels.append(self._resolve_channel(str(args["channel_id"])))
        if args.get("channels"):
            channels.extend(self._resolve_channel(c) for c in str(args["channels"]).split(",") if c)
        for uploaded in done:
            uploaded.completed = True
            uploaded.channels = channels
        for channel in channels:
            self._new_message(
                channel,
                str(args.get("initial_comment") or ""),
                [],
                [],
                source="files",
                thread_ts=args.get("thread_ts") or None,
                files=[f.payload() for f in done],
            )
        return {"files": [f.payload() for f in done]}

    async def _upload(self, request: Request) -> Response:
        self._touch()
        uploaded = self.files.get(request.path_params["file_id"])
        if uploaded is None:
            return PlainTextResponse("file_not_found", status_code=404)
        uploaded.data = await request.body()
        if self.files_dir is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", uploaded.filename).strip("._") or "file"
            uploaded.path = (self.files_dir / f"{uploaded.id}-{safe}").resolve()
            uploaded.path.write_bytes(uploaded.data)
        return PlainTextResponse(f"OK - {len(uploaded.data)}")

    # ------------------------------------------------------------------------------ response_urls
    async def _response_url(self, request: Request) -> Response:
        self._touch()
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return PlainTextResponse("invalid_payload", status_code=400)
        status, result = self.post_to_response_url(request.path_params["url_id"], body)
        return PlainTextResponse(result, status_code=status)

    def post_to_response_url(self, url_id: str, body: dict[str, Any]) -> tuple[int, str]:
        """Apply a response_url POST with Slack's semantics; returns (HTTP status, body text)."""
        target = self.response_urls.get(url_id)
        post = ResponsePost(url_id=url_id, body=body, status=200, result="ok")
        self.response_posts.append(post)

        def fail(status: int, result: str) -> tuple[int, str]:
            post.status, post.result = status, result
            return status, result

        if target is None:
            return fail(404, "invalid_url")
        if self.clock() - target.created > RESPONSE_URL_TTL:
            return fail(404, "expired_url")
        if target.posts >= RESPONSE_URL_MAX_POSTS:
            return fail(404, "used_url")
        target.posts += 1
        original = target.original
        if _truthy(body.get("delete_original")):
            if original is not None and not original.deleted:
                original.deleted = True
                self._change("message_deleted", user=original.ephemeral_to, message=original)
            return 200, "ok"
        try:
            text, blocks, attachments = self._content(body)
        except SlackError as error:
            return fail(400, error.error)
        if _truthy(body.get("replace_original")) and original is not None and not original.deleted:
            original.text = text
            original.blocks = blocks
            original.attachments = attachments
            original.edits += 1
            post.message = original
            self._change("message_changed", user=original.ephemeral_to, message=original)
            return 200, "ok"
        if body.get("response_type") == "in_channel":
            post.message = self._new_message(
                target.channel,
                text,
                blocks,
                attachments,
                source="response_url",
                thread_ts=body.get("thread_ts") or None,
            )
        else:
            post.message = self._new_message(
                target.channel, text, blocks, attachments, source="response_url", ephemeral_to=target.user
            )
        return 200, "ok"

    def immediate_response(
        self, channel: str, user: str, body: Mapping[str, Any], *, at: int | None = None
    ) -> Message | None:
        """A slash command's non-empty ack: shown like a response_url post (ephemeral by default,
        ``response_type: in_channel`` for everyone) without using up the response_url.

        `at`: the change sequence number when the command was sent. Slack shows the ack before anything
        the app posts afterwards, but in-process a fast follow-up can reach the emulator before the
        driver has read the HTTP answer; the ack is then filed where it belongs."""
        try:
            text, blocks, attachments = self._content(dict(body))
        except SlackError:
            return None
        if body.get("response_type") == "in_channel":
            message = self._new_message(channel, text, blocks, attachments, source="response_url")
        else:
            message = self._new_message(
                channel, text, blocks, attachments, source="response_url", ephemeral_to=user
            )
        if at is not None and at < len(self.changes) - 1:
            change = self.changes.pop()
            self.changes.insert(at, change)
            for number, later in enumerate(self.changes[at:], start=at + 1):
                later.seq = number
        return message

    # -------------------------------------------------------------------------------------- views
    def close_view(self, user: str, *, clear: bool = False) -> list[View]:
        """Close the user's top view (or the whole stack with ``clear``); returns the closed views."""
        stack = self.view_stacks.get(user, [])
        closed = list(stack) if clear else stack[-1:]
        del stack[len(stack) - len(closed) :]
        if not stack:
            self.view_stacks.pop(user, None)
        for view in reversed(closed):
            self._change("view_closed", user=user, view=view)
        return closed

    def apply_view_submission(self, user: str, view_id: str, ack_body: Mapping[str, Any] | None) -> list[str]:
        """What Slack does with the app's answer to a view_submission; returns the view errors
        (``response_action: errors``), empty when the submission went through."""
        stack = self.view_stacks.get(user, [])
        if not stack or stack[-1].id != view_id:
            return []
        action = (ack_body or {}).get("response_action")
        if action == "errors":
            errors = (ack_body or {}).get("errors") or {}
            return [f"{k}: {v}" for k, v in errors.items()]
        if action == "update":
            view = (ack_body or {}).get("view") or {}
            problems = validate_view(view)
            if problems:
                return problems
            self.update_view(stack[-1], view)
        elif action == "push":
            view = (ack_body or {}).get("view") or {}
            problems = validate_view(view)
            if problems:
                return problems
            if len(stack) >= MAX_VIEW_STACK:
                return ["push_limit_reached"]
            pushed = self._make_view(user, view, root=stack[0].id, previous=stack[-1].id)
            stack.append(pushed)
            self._change("view_pushed", user=user, view=pushed)
        elif action == "clear":
            self.close_view(user, clear=True)
        else:
            self.close_view(user)
        return []

    # ------------------------------------------------------------------------------------- OAuth
    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_urls: Iterable[str],
        *,
        token_rotation: bool = False,
    ) -> OAuthApp:
        """The app as configured on Slack's side (OAuth & Permissions): `token_rotation` makes its tokens
        expire after `token_lifetime` seconds, with a refresh token."""
        app = OAuthApp(client_id, client_secret, tuple(redirect_urls), token_rotation)
        self.oauth_apps[client_id] = app
        return app

    def next_install(
        self,
        user_id: str,
        team_id: str | None,
        *,
        team_name: str = "",
        enterprise_id: str | None = None,
        enterprise_name: str = "",
    ) -> Installer:
        """Who approves the next visit to the authorize page (`team_id=None` with an `enterprise_id`:
        an org-wide install of an Enterprise Grid org)."""
        self.installer = Installer(
            user_id, team_id, team_name or team_id or "", enterprise_id, enterprise_name
        )
        return self.installer

    def tokens_of(self, team_id: str | None, *, enterprise_id: str | None = None) -> list[IssuedToken]:
        """The bot tokens minted for a workspace (or an org-wide install), oldest first."""
        return [
            t
            for t in self.issued.values()
            if t.kind == "bot"
            and t.team_id == team_id
            and (enterprise_id is None or t.enterprise_id == enterprise_id)
        ]

    def uninstall(self, team_id: str | None, *, enterprise_id: str | None = None) -> None:
        """The workspace removed the app: its tokens and refresh tokens stop working (``invalid_auth``)."""
        for token, issued in list(self.issued.items()):
            if issued.team_id == team_id and (enterprise_id is None or issued.enterprise_id == enterprise_id):
                del self.issued[token]

    async def _authorize(self, request: Request) -> Response:
        """Slack's authorize page, approved at once by `installer`: back to the redirect URL with a code."""
        self._touch()
        query = request.query_params
        app = self.oauth_apps.get(query.get("client_id", ""))
        if app is None:
            return PlainTextResponse("invalid_client_id", status_code=400)
        redirect_uri = query.get("redirect_uri") or (app.redirect_urls[0] if app.redirect_urls else "")
        if redirect_uri not in app.redirect_urls:
            return PlainTextResponse("bad_redirect_uri", status_code=400)
        installer = self.installer or Installer(
            next(iter(self.users), "U0ADMIN"), self.team_id, self.team_domain
        )
        if query.get("team") and installer.team_id and query["team"] != installer.team_id:
            return PlainTextResponse("team_mismatch", status_code=400)
        code = f"{int(self.clock())}.{self._id('', 12).lower()}"
        self._codes[code] = _Code(
            installer, app.client_id, redirect_uri, query.get("scope", ""), self.clock()
        )
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        app = self.oauth_apps.get(str(args.get("client_id") or ""))
        if app is None:
            raise SlackError("invalid_client_id")
        if args.get("client_secret") != app.client_secret:
            raise SlackError("bad_client_secret")
        if args.get("grant_type") == "refresh_token":
            used = str(args.get("refresh_token") or "")
            old = self.issued.get(used)
            if old is None or old.kind != "refresh":
                raise SlackError("invalid_refresh_token")
            # Slack revokes a refresh token once it is used (a new one comes with the new access token);
            # the access token it refreshed stays valid until it expires.
            del self.issued[used]
            token, expires_in = self._mint(old.team_id, old.enterprise_id, app, old.scopes)
            refresh = self._mint_refresh(old.team_id, old.enterprise_id, old.scopes)
            return {
                "access_token": token,
                "token_type": "bot",
                "expires_in": expires_in,
                "refresh_token": refresh,
                "team": {"id": old.team_id} if old.team_id else None,
                "enterprise": {"id": old.enterprise_id} if old.enterprise_id else None,
                "is_enterprise_install": old.team_id is None,
            }
        code = self._codes.pop(str(args.get("code") or ""), None)
        if code is None or code.client_id != app.client_id:
            raise SlackError("invalid_code")
        if self.clock() - code.created > OAUTH_CODE_TTL:
            raise SlackError("invalid_code")
        if args.get("redirect_uri") and args["redirect_uri"] != code.redirect_uri:
            raise SlackError("bad_redirect_uri")
        who = code.installer
        # The token holds what the install asked for (`scope=` on the authorize page), as Slack's does.
        granted = frozenset(s for s in code.scope.split(",") if s) if code.scope else None
        token, expires_in = self._mint(who.team_id, who.enterprise_id, app, granted)
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "bot",
            "scope": code.scope,
            "bot_user_id": self.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": who.team_id, "name": who.team_name} if who.team_id else None,
            "enterprise": {"id": who.enterprise_id, "name": who.enterprise_name}
            if who.enterprise_id
            else None,
            "is_enterprise_install": who.is_enterprise_install,
            "authed_user": {"id": who.user_id},
        }
        if expires_in is not None:
            answer.update(
                expires_in=expires_in,
                refresh_token=self._mint_refresh(who.team_id, who.enterprise_id, granted),
            )
        return answer

    def _mint(
        self,
        team_id: str | None,
        enterprise_id: str | None,
        app: OAuthApp,
        scopes: frozenset[str] | None = None,
    ) -> tuple[str, int | None]:
        prefix = "xoxe.xoxb-1-" if app.token_rotation else "xoxb-"
        token = prefix + self._id("", 24).lower()
        lifetime = int(self.token_lifetime) if app.token_rotation else None
        expires_at = self.clock() + lifetime if lifetime is not None else None
        self.issued[token] = IssuedToken(token, team_id, enterprise_id, expires_at, scopes=scopes)
        return token, lifetime

    def _mint_refresh(
        self, team_id: str | None, enterprise_id: str | None, scopes: frozenset[str] | None = None
    ) -> str:
        token = "xoxe-1-" + self._id("", 32).lower()
        self.issued[token] = IssuedToken(token, team_id, enterprise_id, None, kind="refresh", scopes=scopes)
        return token

    # ---------------------------------------------------------------------------------- serving
    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve over real HTTP in this event loop; yields the API URL (``http://host:port/api/``).

        While serving, response_urls and upload URLs point at this server.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            lifespan="off",
            log_level="warning",
            log_config=None,  # uvicorn would add its own stderr handlers; the host program logs
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = _QuietServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the Slack emulator did not start")
                await asyncio.sleep(0.005)
            previous = self.base_url
            self.base_url = f"http://{host}:{bound_port}"
            try:
                yield self.api_url
            finally:
                self.base_url = previous
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await task
            sock.close()
