"""Async client for the LiveVox SMS API (templates, transactional SMS, agent inboxes, threads, messages).

    async with LiveVoxClient(access_token=..., client_name=..., username=..., password=..., agent=True) as lv:
        async for thread in lv.threads.list_all(channel_id="94874", channel="SMS", personal=True):
            ...
        sent = await lv.messages.send("13345094836", "4154164061", "Hello", account="1213")

* Logs in lazily (`POST /session/login` with `LV-Access`), then sends `LV-Session` on every call; logs in
  again once on a 401 and repeats the call, and before the 2-hour idle expiry.
* Paths follow the method lines under ``/sms/`` of LiveVox's document; `version` inserts a segment after the
  category (``/sms/v5.0/templates``).
* LiveVox publishes no rate limits: the client-side limit (`rate_limit=`, default 10/s with bursts of 8) is a
  guess to tune.
* List calls end at an empty page (LiveVox documents no page size); `prefetch=2` asks for the next page
  together with the current one, so a one-page answer costs one round trip instead of two.
* `agent.channels(max_age=...)` reuses the agent's inbox list for that long (it changes only when the agent's
  services change); without `max_age` it is always fetched.
"""

from __future__ import annotations

import asyncio
import builtins
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from bot.providers._http import (
    DEFAULT_DEADLINE,
    AccessToken,
    BaseClient,
    Clock,
    RateBudget,
    RateLimit,
    RetryPolicy,
    Sleep,
    TokenCache,
    query,
)
from bot.providers._pagination import AsyncPager
from bot.providers.livevox.errors import ERRORS, AuthError, LiveVoxError
from bot.providers.livevox.models import (
    AgentMessageSent,
    Channel,
    ChannelCounts,
    HistoryMessage,
    LoginResponse,
    SmsCode,
    SmsCodeList,
    SmsSent,
    Template,
    TemplateList,
    Thread,
    TransferAgent,
    TransferResult,
)

__all__ = ["DEFAULT_ENVIRONMENT", "DEFAULT_RATE_LIMIT", "LIVEVOX_HOSTS", "LiveVoxClient"]

LIVEVOX_HOSTS: dict[str, str] = {
    "NA3": "https://api.livevox.com",
    "NA4": "https://api.na4.livevox.com",
    "NA5": "https://api.na5.livevox.com",
    "NA6": "https://api.na6.livevox.com",
}
"""API hosts per LiveVox environment: the one place they are written."""

DEFAULT_ENVIRONMENT = "NA3"
"""The environment used when none is configured."""

DEFAULT_RATE_LIMIT = RateLimit(per_second=20, burst=20)
"""LiveVox publishes no numbers ("may be subject to rate limits"): a conservative default, not a fact.

At most 20 requests in any 1.05 s: a supervisor's lookup (every linked agent's inboxes, then each
account's history) goes out at once instead of a second's allowance then a wait for the next.
"""

SESSION_IDLE_TIMEOUT = 2 * 60 * 60.0
"""A LiveVox session stays valid while used at least once in a rolling 2 hours."""

ChannelType = Literal["SMS", "Email", "Chat", "Voicemail", "Messaging", "Voice"]
ItemT = TypeVar("ItemT", bound=BaseModel)
_UNSET: Any = object()


class LiveVoxClient(BaseClient):
    """The LiveVox SMS API for one login (an agent or a user).

    Args:
        access_token: the API access token (sent as `LV-Access` on the login call only).
        client_name, username, password: the LiveVox login.
        agent: True for an agent login, False for a user (Sysadmin/Superuser/Manager) login. They may call
            different methods, and `sms.send` has different mandatory fields for each.
        environment: ``NA3`` (default), ``NA4``, ``NA5`` or ``NA6``; `base_url` overrides the host
            (e.g. ``http://127.0.0.1:8900/livevox`` for the sandbox).
        version: optional path segment after the category (``"v5.0"`` → ``/session/v5.0/login``).
        rate_limit: the client-side limit for this LiveVox client (``None`` disables it).
        http_client, timeout, retry, sleep, clock, rng, limiter_registry, deadline: as for every provider
            client (`ZoomClient` describes them).
        session_idle_timeout: log in again when the session has been idle this long (seconds).
    """

    _provider = "livevox"
    _display_name = "LiveVox"
    _errors = ERRORS

    def __init__(
        self,
        *,
        access_token: str | SecretStr,
        client_name: str,
        username: str,
        password: str | SecretStr,
        agent: bool,
        environment: str = DEFAULT_ENVIRONMENT,
        base_url: str | None = None,
        version: str | None = None,
        rate_limit: RateLimit | None = _UNSET,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        limiter_registry: RateBudget | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        session_idle_timeout: float = SESSION_IDLE_TIMEOUT,
    ) -> None:
        if base_url is None:
            host = LIVEVOX_HOSTS.get(environment.upper())
            if host is None:
                raise ValueError(
                    f"Unknown LiveVox environment {environment!r}: use one of {', '.join(LIVEVOX_HOSTS)} "
                    "or pass base_url"
                )
            base_url = host
        if not client_name or not username:
            raise ValueError("client_name and username are required")
        self.base_url = base_url.rstrip("/")
        limit = DEFAULT_RATE_LIMIT if rate_limit is _UNSET else rate_limit
        super().__init__(
            account_key=f"{self.base_url}|{client_name}",
            rate_limits={"default": limit},
            http_client=http_client,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
            rng=rng,
            limiter_registry=limiter_registry,
            deadline=deadline,
        )
        self.client_name = client_name
        self.username = username
        self.is_agent = agent
        """True for an agent login, False for a user login."""
        self.version = version.strip("/") if version else None
        self._access_token = _secret(access_token)
        self._password = _secret(password)
        self._idle_timeout = session_idle_timeout
        self._sessions = TokenCache(self._login, self._clock)
        self._channels: tuple[float, list[Channel]] | None = None  # (fetched at, inbox list) for max_age
        self.login_info: LoginResponse | None = None
        """The last login's answer (user id, client id, days until the password expires)."""

        self.sms = Sms(self)
        """Templates, transactional send, SMS codes."""
        self.agent = Agent(self)
        """Agent inbox counts and channels."""
        self.threads = Threads(self)
        """Agent threads: list, assign, take, transfer, resolve."""
        self.messages = Messages(self)
        """Agent messages: send, mark read/unread, history."""

    def __repr__(self) -> str:
        return (
            f"LiveVoxClient(base_url={self.base_url!r}, client_name={self.client_name!r}, "
            f"username={self.username!r}, agent={self.is_agent!r})"
        )

    @property
    def logins(self) -> int:
        """How many times this client has logged in (diagnostics)."""
        return self._sessions.fetches

    # -- URLs and auth

    def _url(self, category: str, resource: str = "") -> str:
        version = f"/{self.version}" if self.version else ""
        return f"{self.base_url}/{category}{version}/{resource}"

    async def _login(self) -> AccessToken:
        try:
            response = await self._request(
                "POST",
                self._url("session", "login"),
                operation="session.login",
                json={
                    "clientName": self.client_name,
                    "userName": self.username,
                    "password": self._password,
                    "agent": self.is_agent,
                },
                headers={"LV-Access": self._access_token},
                authenticated=False,
                idempotent=True,
            )
        except LiveVoxError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise AuthError(
                    self._provider, f"LiveVox refused the login: {exc.message}", exc.status, exc.code
                ) from None
            raise
        login = self._model(LoginResponse, response, "session.login")
        self.login_info = login
        return AccessToken(login.session_id, self._session_refresh_at())

    async def _auth_headers(self) -> dict[str, str]:
        session = await self._sessions.get()
        session.refresh_at = self._session_refresh_at()  # used now: the idle timer restarts
        return {"LV-Session": session.value}

    def _session_refresh_at(self) -> float:
        """Log in again a little before the session would expire from inactivity."""
        return self._clock() + self._idle_timeout - min(60.0, self._idle_timeout / 10.0)

    async def _on_unauthorized(self, response: httpx.Response, sent_headers: Mapping[str, str]) -> bool:
        self._sessions.invalidate(sent_headers.get("LV-Session"))
        return True

    def _secret_values(self) -> list[str]:
        session = self._sessions.current
        return [self._access_token, self._password] + ([session.value] if session is not None else [])

    # -- helpers for resources

    async def _call(
        self,
        method: str,
        resource: str,
        *,
        operation: str,
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        return await self._request(
            method,
            self._url("sms", resource),
            operation=operation,
            params=params or None,
            json=json,
            idempotent=idempotent,
        )

    def _pages(
        self,
        fetch: Callable[[int], Awaitable[list[ItemT]]],
        start_page: int,
        max_pages: int | None,
        prefetch: int = 1,
    ) -> Callable[[], AsyncIterator[list[ItemT]]]:
        """1-based page numbers until an empty page (or a page identical to the previous one).

        `prefetch` pages are requested at a time: the empty page that ends every list then travels with the
        last full one. At most ``prefetch - 1`` requests past the end are wasted; a failure of a page past the
        end is ignored, as a one-at-a-time walk would never have asked for it.
        """
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")

        async def pages() -> AsyncIterator[list[ItemT]]:
            previous: list[dict[str, Any]] | None = None
            page_number = start_page
            fetched = 0
            while max_pages is None or fetched < max_pages:
                count = prefetch if max_pages is None else min(prefetch, max_pages - fetched)
                batch: list[list[ItemT] | BaseException]
                if count == 1:
                    batch = [await fetch(page_number)]
                else:
                    numbers = range(page_number, page_number + count)
                    batch = list(await asyncio.gather(*map(fetch, numbers), return_exceptions=True))
                for page in batch:
                    if isinstance(page, BaseException):
                        raise page
                    fetched += 1
                    if not page:
                        return
                    dumped = [item.model_dump() for item in page]
                    if dumped == previous:
                        # The server ignored `pagination` and repeated itself: stop rather than loop forever.
                        return
                    previous = dumped
                    yield page
                    page_number += 1

        return pages


class _Resource:
    def __init__(self, client: LiveVoxClient) -> None:
        self._client = client


class Sms(_Resource):
    """`/sms/`: templates, transactional SMS, SMS codes (agents and users)."""

    async def templates(self) -> list[Template]:
        """The SMS templates for transactional SMS (`GET /sms/templates`)."""
        client = self._client
        response = await client._call("GET", "templates", operation="sms.templates")
        return client._model(TemplateList, response, "sms.templates").templates

    async def send(
        self,
        from_: str,
        to: str,
        message: str | None = None,
        template_id: int | str | None = None,
        account: str | None = None,
        service_id: int | str | None = None,
    ) -> SmsSent:
        """Send a transactional SMS (`POST /sms/`); returns its transaction id. Never retried once sent.

        Exactly one of `message` and `template_id`. Agent logins must give `account` and must not give
        `service_id` (the SMS goes from the service the agent is logged into); user logins must give
        `service_id`. Broken rules raise `InvalidArgument` (a `ValueError`) before any request.
        """
        client = self._client
        if not from_ or not to:
            raise client._invalid_argument("Both `from_` (the short/long code) and `to` are required.")
        if (message is None or message == "") == (template_id is None):
            raise client._invalid_argument(
                "Give exactly one of `message` or `template_id`: LiveVox refuses both and neither."
            )
        if client.is_agent:
            if service_id is not None:
                raise client._invalid_argument(
                    "Agent logins cannot pass `service_id`: LiveVox sends from the service the agent is "
                    "logged into."
                )
            if not account:
                raise client._invalid_argument("Agent logins must pass `account` (the customer's account).")
        elif service_id is None:
            raise client._invalid_argument("User logins must pass `service_id` (the service to send from).")
        body: dict[str, Any] = {"message": message} if template_id is None else {"templateId": template_id}
        payload: dict[str, Any] = {"from": from_, "to": to, "body": body}
        if account:
            payload["account"] = account
        if service_id is not None:
            payload["serviceId"] = service_id
        response = await client._call("POST", "", operation="sms.send", json=payload, idempotent=False)
        return client._model(SmsSent, response, "sms.send")

    async def codes(self) -> list[SmsCode]:
        """The SMS codes of the service the login is in (`GET /sms/codes`)."""
        client = self._client
        response = await client._call("GET", "codes", operation="sms.codes")
        return client._model(SmsCodeList, response, "sms.codes").list_sms_codes


class Agent(_Resource):
    """`/sms/agent/`: inbox counts and channels (agent logins)."""

    async def channel_counts(self, agent_id: int | str) -> ChannelCounts:
        """Counts of the agent's inboxes (`GET /sms/agent/interaction/counts/{agentId}`)."""
        client = self._client
        resource = f"agent/interaction/counts/{quote(str(agent_id), safe='')}"
        response = await client._call("GET", resource, operation="agent.channel_counts")
        return client._model(ChannelCounts, response, "agent.channel_counts")

    async def channels(self, *, max_age: float | None = None) -> list[Channel]:
        """The agent's inboxes (`GET /sms/agent/channel`).

        With `max_age` (seconds), a list fetched by this client less than that long ago is returned without a
        request: the inboxes change only when the agent's services do, while their counts move all the time,
        so callers that read the counts leave `max_age` unset.
        """
        client = self._client
        now = client._clock()
        cached = client._channels
        if max_age is not None and cached is not None and 0 <= now - cached[0] < max_age:
            return list(cached[1])
        response = await client._call("GET", "agent/channel", operation="agent.channels")
        channels = client._model_list(Channel, response, "agent.channels")
        client._channels = (now, channels)
        return list(channels)

    def forget_channels(self) -> None:
        """Drop the remembered inbox list (an inbox answered 403/404: the agent's services changed)."""
        self._client._channels = None


class Threads(_Resource):
    """`/sms/agent/thread/...`: conversations in the agent's inboxes."""

    async def list(
        self,
        channel_id: int | str,
        channel: ChannelType | str,
        personal: bool | None = None,
        pagination: int | None = None,
    ) -> builtins.list[Thread]:
        """One page of threads of an inbox (`GET /sms/agent/thread/details`).

        `channel_id` is the agent id for a personal inbox, else the service id; `pagination` is the 1-based
        page number. Use `list_all` to walk every page.
        """
        client = self._client
        params = query(channelId=channel_id, personal=personal, channel=channel, pagination=pagination)
        response = await client._call("GET", "agent/thread/details", operation="threads.list", params=params)
        return client._model_list(Thread, response, "threads.list")

    def list_all(
        self,
        channel_id: int | str,
        channel: ChannelType | str,
        personal: bool | None = None,
        *,
        start_page: int = 1,
        max_pages: int | None = 1000,
        prefetch: int = 1,
    ) -> AsyncPager[builtins.list[Thread], Thread]:
        """Every thread of an inbox, fetching page after page lazily until an empty page.

        `prefetch` pages are requested concurrently (2 halves the round trips of a short list).
        """

        async def fetch(page: int) -> builtins.list[Thread]:
            return await self.list(channel_id, channel, personal, page)

        return AsyncPager(self._client._pages(fetch, start_page, max_pages, prefetch), _identity)

    async def assign_to_group(self, thread_id: int | str) -> None:
        """Move a thread from the personal inbox to the group inbox (`PUT .../switchGroup/public`)."""
        await self._client._call(
            "PUT",
            "agent/thread/switchGroup/public",
            operation="threads.assign_to_group",
            params=query(threadId=thread_id),
        )

    async def take(self, thread_id: int | str, agent_id: int | str) -> None:
        """Move a thread from the group inbox to the agent's personal inbox (`PUT .../private`)."""
        await self._client._call(
            "PUT",
            "agent/thread/switchGroup/private",
            operation="threads.take",
            params=query(threadId=thread_id, channelId=agent_id),
        )

    async def transfer(
        self, thread_id: int | str, agent_id: int | str, type: ChannelType | str = "SMS"
    ) -> TransferResult:
        """Transfer a thread to another agent (`GET /sms/agent/thread/transfer`); returns a confirmation.

        A GET that changes state: never repeated once it may have arrived (`OutcomeUnknown` instead).
        """
        client = self._client
        response = await client._call(
            "GET",
            "agent/thread/transfer",
            operation="threads.transfer",
            params=query(threadId=thread_id, type=type, agentId=agent_id),
            idempotent=False,
        )
        return client._model(TransferResult, response, "threads.transfer")

    async def transfer_agents(self, thread_id: int | str) -> builtins.list[TransferAgent]:
        """Agents who can take a transfer of the thread (`GET /sms/agent/search`)."""
        client = self._client
        response = await client._call(
            "GET", "agent/search", operation="threads.transfer_agents", params=query(threadId=thread_id)
        )
        return client._model_list(TransferAgent, response, "threads.transfer_agents")

    async def resolve(
        self,
        thread_id: int | str,
        account: str,
        agent_entered_account: str | None = None,
        term_code_id: int | None = None,
    ) -> None:
        """Submit a term code for the thread (`POST /sms/agent/thread/resolve`). Not retried once sent.

        `agent_entered_account` defaults to `account` (LiveVox requires both).
        """
        client = self._client
        if not account:
            raise client._invalid_argument("`account` is required to resolve a thread.")
        payload: dict[str, Any] = {
            "threadId": str(thread_id),
            "account": account,
            "agentEnteredAccount": agent_entered_account or account,
        }
        if term_code_id is not None:
            payload["termCodeId"] = term_code_id
        await client._call(
            "POST", "agent/thread/resolve", operation="threads.resolve", json=payload, idempotent=False
        )


class Messages(_Resource):
    """`/sms/agent/message/...` and history (agent logins)."""

    async def send(
        self,
        from_number: str,
        to_number: str,
        message: str,
        template_id: int | None = None,
        account: str | None = None,
        thread_id: int | str | None = None,
        ticket_id: int | None = None,
        crm_account_id: int | None = None,
    ) -> AgentMessageSent:
        """Send an SMS as the agent (`POST /sms/agent/message/send`); returns its transaction id.

        Never retried once the request may have reached LiveVox (`OutcomeUnknown` instead).
        """
        client = self._client
        if not from_number or not to_number:
            raise client._invalid_argument("Both `from_number` and `to_number` are required.")
        if not message:
            raise client._invalid_argument("`message` is required.")
        payload: dict[str, Any] = {"fromNumber": from_number, "toNumber": to_number, "message": message}
        optional = {
            "templateId": template_id,
            "account": account,
            "threadId": thread_id,
            "ticketId": ticket_id,
            "crmAccountId": crm_account_id,
        }
        payload.update({key: value for key, value in optional.items() if value is not None})
        response = await client._call(
            "POST", "agent/message/send", operation="messages.send", json=payload, idempotent=False
        )
        return client._model(AgentMessageSent, response, "messages.send")

    async def mark_read(self, thread_id: int | str, channel_id: int | str) -> None:
        """Mark a thread read (`PUT /sms/agent/message/markAsRead`)."""
        await self._client._call(
            "PUT",
            "agent/message/markAsRead",
            operation="messages.mark_read",
            params=query(threadId=thread_id, channelId=channel_id),
        )

    async def mark_unread(self, thread_id: int | str, channel_id: int | str) -> None:
        """Mark a thread unread (`PUT /sms/agent/message/markAsUnread`)."""
        await self._client._call(
            "PUT",
            "agent/message/markAsUnread",
            operation="messages.mark_unread",
            params=query(threadId=thread_id, channelId=channel_id),
        )

    async def history(
        self,
        account: str | None = None,
        thread_id: int | str | None = None,
        pagination: int | None = None,
    ) -> list[HistoryMessage]:
        """One page of the SMS transaction history of an account or a thread (`GET /sms/agent/messages`).

        At least one of `account` and `thread_id` (checked before any request); `pagination` is 1-based.
        """
        client = self._client
        if not account and thread_id is None:
            raise client._invalid_argument("Give `account` or `thread_id` (LiveVox needs one of them).")
        params = query(account=account or None, threadId=thread_id, pagination=pagination)
        response = await client._call("GET", "agent/messages", operation="messages.history", params=params)
        return client._model_list(HistoryMessage, response, "messages.history")

    def history_all(
        self,
        account: str | None = None,
        thread_id: int | str | None = None,
        *,
        start_page: int = 1,
        max_pages: int | None = 1000,
        prefetch: int = 1,
    ) -> AsyncPager[list[HistoryMessage], HistoryMessage]:
        """The whole history, page after page lazily until an empty page (`prefetch` as for threads)."""
        client = self._client
        if not account and thread_id is None:
            raise client._invalid_argument("Give `account` or `thread_id` (LiveVox needs one of them).")

        async def fetch(page: int) -> list[HistoryMessage]:
            return await self.history(account, thread_id, page)

        return AsyncPager(client._pages(fetch, start_page, max_pages, prefetch), _identity)


def _identity(page: list[ItemT]) -> list[ItemT]:
    return page


def _secret(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
