"""Sends the app what Slack sends it: signed slash commands, interactions and events.

`SlackDriver` posts to ``/slack/events`` of an ASGI app (through ``httpx.ASGITransport``) or of a
running server (a base URL), with ``X-Slack-Request-Timestamp`` / ``X-Slack-Signature`` computed by
slack_sdk's ``SignatureVerifier``. It mints trigger_ids and response_urls from a `SlackEmulator`,
applies what Slack applies on its side (a command's immediate answer, a view submission's
``response_action``), and `settle()` waits until the app has finished its background work.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from starlette.types import ASGIApp

from bot.console.blockkit import (
    Interactive,
    element_options,
    input_blocks,
    interactive_elements,
    text_of,
)
from bot.console.emulator import FunctionExecution, Message, SlackEmulator, View

Idle = Callable[[], Awaitable[None]]
Target = Message | View
Values = Mapping[str, str | Sequence[str]]

STALE_AGE = 6 * 60  # seconds: Bolt refuses requests older than five minutes
BOLT_TASKS = ("run_ack_function_asynchronously", "to_runnable_function")


class MissingInput(ValueError):
    """Slack's client would not submit: a required field is empty or a value is out of bounds."""


@dataclass
class AppResponse:
    """The app's HTTP answer to one request (its ``ack()``)."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        """The words of the answer: a JSON body's ``text`` (an ack with blocks is JSON), else the body."""
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            return str(data["text"])
        return self.body

    @property
    def errors(self) -> dict[str, str]:
        """``response_action: errors`` of a view submission, by block_id (empty otherwise)."""
        data = self.json()
        if isinstance(data, dict) and data.get("response_action") == "errors":
            return {str(k): str(v) for k, v in (data.get("errors") or {}).items()}
        return {}


async def bolt_idle() -> None:
    """An idle hook for a plain Bolt AsyncApp: waits for the listener tasks Bolt runs after ack()."""
    while True:
        current = asyncio.current_task()
        pending = [
            task
            for task in asyncio.all_tasks()
            if task is not current
            and not task.done()
            and getattr(task.get_coro(), "__name__", "") in BOLT_TASKS
        ]
        if not pending:
            return
        await asyncio.wait(pending)


def _option_text(option: Mapping[str, Any]) -> str:
    return text_of(option.get("text"))


def _match_option(options: Sequence[Mapping[str, Any]], wanted: str) -> Mapping[str, Any] | None:
    for option in options:
        if option.get("value") == wanted:
            return option
    lowered = wanted.strip().lower()
    for option in options:
        if _option_text(option).strip().strip("*_~").strip().lower() == lowered:
            return option
    return None


def _clean_option(option: Mapping[str, Any]) -> dict[str, Any]:
    """An option as Slack echoes it back in payloads."""
    result: dict[str, Any] = {"text": dict(option.get("text") or {}), "value": option.get("value")}
    if option.get("description"):
        result["description"] = option["description"]
    return result


MULTI_VALUE = frozenset(
    {
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "checkboxes",
    }
)


def _as_list(value: str | Sequence[str] | None, kind: str) -> list[str]:
    """The values given for one element of type `kind`. A string is one value, commas, quotes and newlines
    included ("Hi Robert, following up…" is a message, a secret may hold a comma); only for a multi-value
    element (a multi-select, checkboxes) is a string a comma-separated list."""
    if value is None:
        return []
    if isinstance(value, str):
        if kind in MULTI_VALUE:
            return [v.strip() for v in value.split(",") if v.strip()]
        return [value]
    return list(value)


class SlackDriver:
    """Drives an app through ``POST /slack/events`` the way Slack does."""

    def __init__(
        self,
        app: ASGIApp | str,
        signing_secret: str,
        emulator: SlackEmulator,
        *,
        idle: Idle | None = None,
        user: str = "U0AGENT",
        channel: str = "C0DEMO",
        path: str = "/slack/events",
        quiet: float = 0.05,
        settle_timeout: float = 10.0,
        verification_token: str = "emulated-verification-token",  # noqa: S107 - not a secret
        team_id: str | None = None,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> None:
        """`team_id` / `enterprise_id`: the workspace (and Enterprise Grid org) requests come from, the
        emulator's own workspace by default; `is_enterprise_install`: the app is installed org-wide."""
        self.team_id = team_id or emulator.team_id
        self.enterprise_id = enterprise_id
        self.is_enterprise_install = is_enterprise_install
        self.app = app
        self.signing_secret = signing_secret
        self.emulator = emulator
        self.idle = idle
        self.user = user
        self.channel = channel
        self.path = path
        self.quiet = quiet
        self.settle_timeout = settle_timeout
        self.verification_token = verification_token
        self.requests: list[tuple[str, AppResponse]] = []  # (body sent, answer)
        self._client: httpx.AsyncClient | None = None
        self._counter = 0

    # ------------------------------------------------------------------------------ transport
    async def __aenter__(self) -> SlackDriver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            if isinstance(self.app, str):
                self._client = httpx.AsyncClient(base_url=self.app.rstrip("/"), timeout=30)
            else:
                transport = httpx.ASGITransport(app=self.app)
                self._client = httpx.AsyncClient(
                    transport=transport, base_url="http://switchboard.local", timeout=30
                )
        return self._client

    def sign(
        self, body: str, *, timestamp: int | None = None, bad_signature: bool = False, stale: bool = False
    ) -> dict[str, str]:
        """The signature headers Slack sends with ``body``."""
        ts = timestamp if timestamp is not None else int(time.time()) - (STALE_AGE if stale else 0)
        signature = str(
            SignatureVerifier(self.signing_secret).generate_signature(timestamp=str(ts), body=body)
        )
        if bad_signature:
            signature = "v0=" + ("0" * 64 if not signature.endswith("0" * 64) else "1" * 64)
        return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": signature}

    async def post(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AppResponse:
        """POST a raw, signed body to the app. `timestamp`: when Slack signed it (default now); a retry
        Slack sends later is signed anew, so it carries a timestamp and signature of its own."""
        signed = self.sign(body, timestamp=timestamp, bad_signature=bad_signature, stale=stale)
        sent = {"Content-Type": content_type, **signed}
        sent.update(headers or {})
        answer = await self._http().post(self.path, content=body.encode("utf-8"), headers=sent)
        response = AppResponse(answer.status_code, answer.text, dict(answer.headers))
        self.requests.append((body, response))
        return response

    async def send_form(self, fields: Mapping[str, str], **options: Any) -> AppResponse:
        return await self.post(urlencode(fields), **options)

    async def send_payload(self, payload: Mapping[str, Any], **options: Any) -> AppResponse:
        """An interactivity payload, form-encoded as ``payload=<json>`` like Slack."""
        return await self.post(urlencode({"payload": json.dumps(payload)}), **options)

    async def send_json(self, envelope: Mapping[str, Any], **options: Any) -> AppResponse:
        """An Events API envelope, as JSON."""
        return await self.post(json.dumps(envelope), "application/json", **options)

    # --------------------------------------------------------------------------------- settle
    async def settle(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until the app's background work is done and the emulator has been quiet for
        ``quiet`` seconds; raises TimeoutError after ``timeout`` (default ``settle_timeout``)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.settle_timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the app did not settle")
            if self.idle is not None:
                await asyncio.wait_for(self.idle(), remaining)
            seen = self.emulator.activity
            await asyncio.sleep(self.quiet)
            if (
                self.emulator.activity == seen
                and time.monotonic() - self.emulator.last_activity >= self.quiet
            ):
                if self.idle is None:
                    return
                # one more look: the hook must still report idle after the quiet period
                await asyncio.wait_for(self.idle(), max(deadline - time.monotonic(), 0.001))
                if self.emulator.activity == seen:
                    return

    # ---------------------------------------------------------------------------------- common
    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}"

    def _action_ts(self) -> str:
        return f"{time.time():.6f}"

    def _team(self) -> dict[str, Any]:
        team: dict[str, Any] = {"id": self.team_id, "domain": self.emulator.team_domain}
        if self.enterprise_id:
            team["enterprise_id"] = self.enterprise_id
        return team

    def _user(self, user: str) -> dict[str, Any]:
        info = self.emulator.users.get(user, {})
        name = str(info.get("name", user.lower()))
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _channel(self, channel: str) -> dict[str, Any]:
        return {"id": channel, "name": self.emulator.channel_name(channel)}

    def _base(self, kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "token": self.verification_token,
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.emulator.app_id,
            "is_enterprise_install": self.is_enterprise_install,
            "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
        }

    # ------------------------------------------------------------------------- slash commands
    def command_payload(
        self,
        command: str,
        text: str = "",
        *,
        user: str,
        channel: str,
        response_url: str,
        trigger_id: str,
    ) -> dict[str, str]:
        info = self.emulator.users.get(user, {})
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.emulator.team_domain,
            "channel_id": channel,
            "channel_name": self.emulator.channel_name(channel),
            "user_id": user,
            "user_name": str(info.get("name", user.lower())),
            "command": command,
            "text": text,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "api_app_id": self.emulator.app_id,
            "is_enterprise_install": "true" if self.is_enterprise_install else "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str | None = None,
        channel: str | None = None,
        bad_signature: bool = False,
        stale: bool = False,
    ) -> AppResponse:
        """Run a slash command; a non-empty ack is shown to the user as Slack shows it."""
        user = user or self.user
        channel = channel or self.channel
        if not command.startswith("/"):
            command = "/" + command
        payload = self.command_payload(
            command,
            text,
            user=user,
            channel=channel,
            response_url=self.emulator.new_response_url(channel, user),
            trigger_id=self.emulator.new_trigger_id(user),
        )
        sent_at = self.emulator.seq
        response = await self.send_form(payload, bad_signature=bad_signature, stale=stale)
        if response.ok and response.body.strip():
            data = response.json()
            if not isinstance(data, dict):
                data = {"text": response.body}
            self.emulator.immediate_response(channel, user, data, at=sent_at)
        return response

    # -------------------------------------------------------------------------- block_actions
    def _state_value(self, element: Mapping[str, Any], values: list[str] | None) -> dict[str, Any]:
        """One element's entry in ``state.values``: given values, else its initial value."""
        kind = str(element.get("type", ""))
        state: dict[str, Any] = {"type": kind}
        options = element_options(element)

        def pick(wanted: str) -> dict[str, Any]:
            found = _match_option(options, wanted)
            if found is None:
                if kind in ("external_select", "multi_external_select"):
                    return {"text": {"type": "plain_text", "text": wanted, "emoji": True}, "value": wanted}
                raise MissingInput(f"{wanted!r} is not an option of {element.get('action_id')!r}")
            return _clean_option(found)

        if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
            value = values[0] if values else element.get("initial_value")
            state["value"] = value if value not in ("",) else None
        elif kind in ("static_select", "external_select", "radio_buttons"):
            if values:
                state["selected_option"] = pick(values[0])
            else:
                initial = element.get("initial_option")
                state["selected_option"] = _clean_option(initial) if initial else None
        elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
            if values is not None and values:
                state["selected_options"] = [pick(v) for v in values]
            else:
                state["selected_options"] = [_clean_option(o) for o in element.get("initial_options") or []]
        elif kind == "users_select":
            state["selected_user"] = self._user_ref(values[0]) if values else element.get("initial_user")
        elif kind == "multi_users_select":
            state["selected_users"] = (
                [self._user_ref(v) for v in values] if values else list(element.get("initial_users") or [])
            )
        elif kind in ("conversations_select", "channels_select"):
            key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
            initial = element.get(
                "initial_conversation" if kind == "conversations_select" else "initial_channel"
            )
            state[key] = self._channel_ref(values[0]) if values else initial
        elif kind in ("multi_conversations_select", "multi_channels_select"):
            key = "selected_conversations" if kind == "multi_conversations_select" else "selected_channels"
            initial_key = (
                "initial_conversations" if kind == "multi_conversations_select" else "initial_channels"
            )
            state[key] = (
                [self._channel_ref(v) for v in values] if values else list(element.get(initial_key) or [])
            )
        elif kind == "datepicker":
            state["selected_date"] = values[0] if values else element.get("initial_date")
        elif kind == "timepicker":
            state["selected_time"] = values[0] if values else element.get("initial_time")
        elif kind == "datetimepicker":
            state["selected_date_time"] = int(values[0]) if values else element.get("initial_date_time")
        elif kind == "file_input":
            state["files"] = []
        elif kind == "rich_text_input":
            text = values[0] if values else ""
            state["rich_text_value"] = {
                "type": "rich_text",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        return state

    def _user_ref(self, ref: str) -> str:
        return self.emulator.find_user(ref) or ref

    def _channel_ref(self, ref: str) -> str:
        return self.emulator.find_channel(ref) or ref

    def _state_of(
        self, blocks: Sequence[Mapping[str, Any]], given: Mapping[tuple[str, str], list[str]] | None = None
    ) -> dict[str, Any]:
        """``state.values`` of a message or view: every stateful element, input blocks included."""
        values: dict[str, Any] = {}
        for block in blocks:
            elements: list[Mapping[str, Any]] = []
            if block.get("type") == "input" and isinstance(block.get("element"), Mapping):
                elements = [block["element"]]
            elif block.get("type") == "actions":
                elements = [
                    e for e in block.get("elements") or [] if e.get("type") not in ("button", "overflow")
                ]
            elif block.get("type") == "section" and isinstance(block.get("accessory"), Mapping):
                accessory = block["accessory"]
                if accessory.get("type") not in ("button", "overflow", "image"):
                    elements = [accessory]
            for element in elements:
                block_id = str(block.get("block_id", ""))
                action_id = str(element.get("action_id", ""))
                wanted = (given or {}).get((block_id, action_id))
                values.setdefault(block_id, {})[action_id] = self._state_value(element, wanted)
        return values

    def find_element(
        self,
        target: Target,
        *,
        action_id: str | None = None,
        index: int | None = None,
        value: str | None = None,
    ) -> Interactive:
        """The element `click` would use: by render number (``index``, from 1), action_id and,
        for buttons, value."""
        elements = interactive_elements(target.blocks)
        if index is not None:
            elements = [e for e in elements if e.number == index]
        if action_id is not None:
            elements = [e for e in elements if e.action_id == action_id]
        if value is not None and len(elements) > 1:
            buttons = [e for e in elements if e.type == "button" and e.element.get("value") == value]
            elements = buttons or elements
        if not elements:
            raise LookupError(f"no such element (action_id={action_id!r}, index={index!r}, value={value!r})")
        if len(elements) > 1 and action_id is None and index is None:
            raise LookupError(f"{len(elements)} elements match: pass action_id or index")
        return elements[0]

    def _action(self, element: Interactive, value: str | None) -> dict[str, Any]:
        kind = element.type
        data: dict[str, Any] = {
            "type": kind,
            "action_id": element.action_id,
            "block_id": element.block_id,
            "action_ts": self._action_ts(),
        }
        raw = element.element
        if kind == "button":
            data["text"] = dict(raw.get("text") or {})
            if raw.get("value") is not None:
                data["value"] = raw["value"]
            if raw.get("style"):
                data["style"] = raw["style"]
            if raw.get("url"):
                data["url"] = raw["url"]
            return data
        if kind == "overflow":
            if value is None:
                raise MissingInput(f"pick an option of overflow {element.action_id!r}")
            found = _match_option(element_options(raw), value)
            if found is None:
                raise MissingInput(f"{value!r} is not an option of {element.action_id!r}")
            data["selected_option"] = _clean_option(found)
            return data
        state = self._state_value(raw, _as_list(value, kind) if value is not None else None)
        if value is None and kind in (
            "static_select",
            "external_select",
            "radio_buttons",
            "users_select",
            "conversations_select",
            "channels_select",
        ):
            raise MissingInput(f"pick a value for {kind} {element.action_id!r}")
        if kind == "datepicker" and state.get("selected_date") is None:
            state["selected_date"] = dt.date.today().isoformat()
        state.pop("type", None)
        data.update(state)
        if raw.get("placeholder"):
            data["placeholder"] = raw["placeholder"]
        return data

    def block_actions_payload(
        self,
        target: Target,
        element: Interactive,
        *,
        user: str,
        value: str | None = None,
    ) -> dict[str, Any]:
        payload = self._base("block_actions", user)
        action = self._action(element, value)
        given = (
            {(element.block_id, element.action_id): _as_list(value, element.type)}
            if value is not None
            else None
        )
        payload["trigger_id"] = self.emulator.new_trigger_id(user)
        payload["state"] = {"values": self._state_of(target.blocks, given)}
        if isinstance(target, View):
            payload["container"] = {"type": "view", "view_id": target.id}
            view = json.loads(json.dumps(target.data))
            view["state"] = payload["state"]
            payload["view"] = view
        else:
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": target.channel,
                "is_ephemeral": target.is_ephemeral,
            }
            if target.thread_ts:
                container["thread_ts"] = target.thread_ts
            payload["container"] = container
            payload["channel"] = self._channel(target.channel)
            if not target.is_ephemeral:  # Slack leaves the message out for ephemeral ones
                payload["message"] = target.payload(self.team_id)
            payload["response_url"] = self.emulator.new_response_url(target.channel, user, original=target)
        payload["actions"] = [action]
        return payload

    def _actor(self, target: Target, user: str | None) -> str:
        if user:
            return user
        if isinstance(target, View):
            return target.user
        return target.ephemeral_to or self.user

    async def click(
        self,
        target: Target,
        action_id: str | None = None,
        index: int | None = None,
        value: str | None = None,
        *,
        user: str | None = None,
        **options: Any,
    ) -> AppResponse:
        """Click a button (or pick ``value`` in a select/overflow/radio/date element) of a message
        or an open view. ``index`` is the element's number as `render` shows it (from 1)."""
        element = self.find_element(target, action_id=action_id, index=index, value=value)
        if element.type == "button":
            value = None
        actor = self._actor(target, user)
        payload = self.block_actions_payload(target, element, user=actor, value=value)
        return await self.send_payload(payload, **options)

    # ---------------------------------------------------------------------------------- views
    def view_state(self, view: View, values: Values | None = None, *, check: bool = True) -> dict[str, Any]:
        """``state.values`` for a submission: ``values`` are keyed by block_id, action_id or the
        input's label; lists (or comma-separated strings) for multi-value inputs."""
        remaining = dict(values or {})
        given: dict[tuple[str, str], list[str]] = {}
        missing: list[str] = []
        for block in input_blocks(view.blocks):
            element = block["element"]
            block_id = str(block.get("block_id", ""))
            action_id = str(element.get("action_id", ""))
            label = text_of(block.get("label"))
            for key in (block_id, action_id, label):
                if key in remaining:
                    given[(block_id, action_id)] = _as_list(remaining.pop(key), str(element.get("type", "")))
                    break
            wanted = given.get((block_id, action_id))
            if check:
                has_initial = any(
                    element.get(k)
                    for k in (
                        "initial_value",
                        "initial_option",
                        "initial_options",
                        "initial_user",
                        "initial_users",
                        "initial_conversation",
                        "initial_channel",
                        "initial_date",
                        "initial_time",
                    )
                )
                if not wanted and not has_initial and not block.get("optional"):
                    missing.append(label or block_id)
                if wanted and element.get("type") == "plain_text_input":
                    text = wanted[0]
                    if element.get("max_length") is not None and len(text) > int(element["max_length"]):
                        raise MissingInput(f"{label}: at most {element['max_length']} characters")
                    if element.get("min_length") is not None and len(text) < int(element["min_length"]):
                        raise MissingInput(f"{label}: at least {element['min_length']} characters")
        if remaining:
            raise MissingInput(f"the view has no input {', '.join(sorted(remaining))}")
        if missing:
            raise MissingInput(f"required: {', '.join(missing)}")
        return self._state_of(view.blocks, given)

    def view_submission_payload(
        self, view: View, values: Values | None = None, *, user: str, check: bool = True
    ) -> dict[str, Any]:
        payload = self._base("view_submission", user)
        data = json.loads(json.dumps(view.data))
        data["state"] = {"values": self.view_state(view, values, check=check)}
        payload["view"] = data
        payload["response_urls"] = []
        payload["trigger_id"] = self.emulator.new_trigger_id(user)
        return payload

    async def submit(
        self,
        view: View,
        values: Values | None = None,
        *,
        user: str | None = None,
        check: bool = True,
        **options: Any,
    ) -> AppResponse:
        """Submit a modal; Slack's handling of the ack (close, errors, update, push, clear) is
        applied to the emulator. ``response.errors`` holds a response_action errors map."""
        actor = user or view.user
        payload = self.view_submission_payload(view, values, user=actor, check=check)
        response = await self.send_payload(payload, **options)
        if response.ok:
            data = response.json()
            self.emulator.apply_view_submission(actor, view.id, data if isinstance(data, dict) else None)
        return response

    def view_closed_payload(self, view: View, *, user: str, is_cleared: bool = False) -> dict[str, Any]:
        payload = self._base("view_closed", user)
        payload["view"] = json.loads(json.dumps(view.data))
        payload["is_cleared"] = is_cleared
        return payload

    async def close(
        self, view: View, *, user: str | None = None, clear: bool = False, **options: Any
    ) -> AppResponse | None:
        """The user closes (cancels) a modal; ``view_closed`` is sent only with notify_on_close."""
        actor = user or view.user
        self.emulator.close_view(actor, clear=clear)
        if view.data.get("notify_on_close"):
            return await self.send_payload(
                self.view_closed_payload(view, user=actor, is_cleared=clear), **options
            )
        return None

    def block_suggestion_payload(
        self, target: Target, action_id: str, query: str, *, user: str
    ) -> dict[str, Any]:
        block_id = ""
        for block in target.blocks:
            elements = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
            if any(isinstance(e, Mapping) and e.get("action_id") == action_id for e in elements):
                block_id = str(block.get("block_id", ""))
                break
        payload = self._base("block_suggestion", user)
        payload.update(action_id=action_id, block_id=block_id, value=query)
        if isinstance(target, View):
            payload["container"] = {"type": "view", "view_id": target.id}
            payload["view"] = json.loads(json.dumps(target.data))
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": target.channel,
                "is_ephemeral": target.is_ephemeral,
            }
            payload["channel"] = self._channel(target.channel)
            if not target.is_ephemeral:
                payload["message"] = target.payload(self.team_id)
        return payload

    async def suggest(
        self, target: Target, action_id: str, query: str, *, user: str | None = None, **options: Any
    ) -> AppResponse:
        """Type into an external_select: the app answers ``{"options": [...]}``."""
        payload = self.block_suggestion_payload(target, action_id, query, user=self._actor(target, user))
        return await self.send_payload(payload, **options)

    # ------------------------------------------------------------------------------ shortcuts
    def shortcut_payload(self, callback_id: str, *, user: str) -> dict[str, Any]:
        payload = self._base("shortcut", user)
        payload.update(
            callback_id=callback_id,
            trigger_id=self.emulator.new_trigger_id(user),
            action_ts=self._action_ts(),
        )
        return payload

    async def shortcut(self, callback_id: str, *, user: str | None = None, **options: Any) -> AppResponse:
        """A global shortcut (from the ⚡ menu)."""
        return await self.send_payload(self.shortcut_payload(callback_id, user=user or self.user), **options)

    def message_action_payload(self, callback_id: str, message: Message, *, user: str) -> dict[str, Any]:
        payload = self._base("message_action", user)
        payload.update(
            callback_id=callback_id,
            trigger_id=self.emulator.new_trigger_id(user),
            action_ts=self._action_ts(),
            channel=self._channel(message.channel),
            message_ts=message.ts,
            message=message.payload(self.team_id),
            response_url=self.emulator.new_response_url(message.channel, user),
        )
        return payload

    async def message_shortcut(
        self,
        callback_id: str,
        message_text: str = "",
        *,
        user: str | None = None,
        channel: str | None = None,
        message: Message | None = None,
        author: str | None = None,
        **options: Any,
    ) -> AppResponse:
        """A message shortcut on ``message`` (or on a new message ``message_text`` by ``author``)."""
        user = user or self.user
        if message is None:
            message = self.emulator.post_user_message(channel or self.channel, author or user, message_text)
        return await self.send_payload(
            self.message_action_payload(callback_id, message, user=user), **options
        )

    # --------------------------------------------------------------------------------- events
    def event_envelope(self, event: Mapping[str, Any]) -> dict[str, Any]:
        body = dict(event)
        body.setdefault("event_ts", self._action_ts())
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "api_app_id": self.emulator.app_id,
            "event": body,
            "type": "event_callback",
            # Where the event happened (for an org-wide install: which workspace of the org).
            "context_team_id": self.team_id,
            "context_enterprise_id": self.enterprise_id,
            "event_id": self._next("Ev0EMU"),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": None if self.is_enterprise_install else self.team_id,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": self._next("4-emulated-"),
        }

    def build_event(self, kind: str, *, user: str | None = None, **fields: Any) -> dict[str, Any]:
        """An event body: app_home_opened (user, tab), app_uninstalled, tokens_revoked, message…"""
        user = user or self.user
        event: dict[str, Any] = {"type": kind}
        if kind == "app_home_opened":
            event.update(user=user, channel="D" + user[1:], tab=fields.pop("tab", "home"))
            home = self.emulator.home(user)
            if home is not None:
                event["view"] = json.loads(json.dumps(home.data))
        elif kind == "tokens_revoked":
            event["tokens"] = fields.pop("tokens", {"oauth": [], "bot": [self.emulator.bot_user_id]})
        elif kind == "message":
            event.update(user=user, channel=fields.pop("channel", self.channel), ts=f"{time.time():.6f}")
        event.update(fields)
        return event

    async def event(
        self, event: str | Mapping[str, Any], *, user: str | None = None, **fields: Any
    ) -> AppResponse:
        """Deliver an Events API ``event_callback`` (give an event type or a whole event body)."""
        options = {k: fields.pop(k) for k in ("bad_signature", "stale") if k in fields}
        body = self.build_event(event, user=user, **fields) if isinstance(event, str) else dict(event)
        return await self.send_json(self.event_envelope(body), **options)

    def function_envelope(self, execution: FunctionExecution) -> dict[str, Any]:
        """The `function_executed` event of `execution`, in its Events API envelope, as Slack sends it
        (deliver it again with `send_json` to act out a redelivery: same event_id)."""
        return self.event_envelope(self.emulator.function_event(execution))

    async def run_function(
        self, callback_id: str, inputs: Mapping[str, Any] | None = None, **options: Any
    ) -> tuple[FunctionExecution, AppResponse]:
        """A workflow reaches the app's step `callback_id` with `inputs`: the execution (its outputs or
        error once the app completes it, see `settle`) and the app's ack."""
        execution = self.emulator.start_function(
            callback_id, inputs, team_id=self.team_id, enterprise_id=self.enterprise_id
        )
        return execution, await self.send_json(self.function_envelope(execution), **options)

    async def open_home(self, user: str | None = None) -> AppResponse:
        """The user opens the app's Home tab."""
        return await self.event("app_home_opened", user=user)

    async def url_verification(self, challenge: str = "emulated-challenge", **options: Any) -> AppResponse:
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return await self.send_json(body, **options)

    # -------------------------------------------------------------------------------- finders
    def last_response(self, user: str | None = None) -> Message | None:
        """The newest (or newest-changed) response_url post or ephemeral the user can see."""
        user = user or self.user
        for change in reversed(self.emulator.changes):
            message = change.message
            if change.kind not in ("message", "message_changed") or message is None or message.deleted:
                continue
            if message.ephemeral_to == user or (
                message.source == "response_url" and not message.is_ephemeral
            ):
                return message
        return None

    def last_message(self, channel: str | None = None) -> Message | None:
        """The newest live message of a channel (not ephemeral)."""
        messages = self.emulator.channel_messages(channel or self.channel)
        return messages[-1] if messages else None

    def current_view(self, user: str | None = None) -> View | None:
        return self.emulator.current_view(user or self.user)

    def home(self, user: str | None = None) -> View | None:
        return self.emulator.home(user or self.user)
