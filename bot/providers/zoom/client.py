"""Async client for Zoom Contact Center (SMS and voice call logs) and Zoom Phone (SMS sessions).

    async with ZoomClient(account_id=..., client_id=..., client_secret=...) as zoom:
        async for log in zoom.contact_center.sms.list(from_=date(2024, 1, 1), to=date(2024, 3, 31)):
            ...
        sessions = await zoom.phone.sms_sessions.list(phone_number="+14155550100").collect()
        async for message in zoom.phone.sms_sessions.get(sessions[0].session_id or "", sort=1):
            ...

* Server-to-Server OAuth: one token for all concurrent callers, fetched again a few minutes before it
  expires and once on a 401 with code 124.
* Every list call returns an `AsyncPager` that follows `next_page_token` and splits a range longer than one
  month into consecutive month windows (Zoom refuses longer ones).
* Client-side rate limits per plan and label (Heavy/Medium/Light), shared by every client for the account.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.providers._http import (
    DEFAULT_DEADLINE,
    AccessToken,
    BaseClient,
    Clock,
    QueryParams,
    RateBudget,
    RateLimit,
    RetryPolicy,
    Sleep,
    TokenCache,
    query,
)
from bot.providers._pagination import AsyncPager
from bot.providers.zoom.errors import ERRORS
from bot.providers.zoom.models import (
    SmsHistoryPage,
    SmsLog,
    SmsLogPage,
    SmsMessage,
    SmsSession,
    SmsSessionPage,
    VoiceCall,
    VoiceCallPage,
    ZoomPage,
)
from bot.providers.zoom.windows import DateLike, Window, month_windows

__all__ = ["API_URL", "DEFAULT_OPERATION_LABELS", "PLAN_RATE_LIMITS", "TOKEN_URL", "ZoomClient"]

API_URL = "https://api.zoom.us/v2"
"""Zoom's API base: the one place it is written (settings, connection defaults and the client use it)."""
TOKEN_URL = "https://zoom.us/oauth/token"  # noqa: S105 - a URL, not a secret
"""Zoom's Server-to-Server OAuth token endpoint."""

ZoomPlanName = Literal["pro", "business"]

# Zoom counts requests per second: a whole second's allowance may leave at once (burst = per_second) and
# the sliding window keeps every one-second span within it, so a lookup's calls do not queue behind each
# other 200 ms apart.
PLAN_RATE_LIMITS: dict[str, dict[str, RateLimit]] = {
    "pro": {
        "light": RateLimit(per_second=20, burst=20),
        "medium": RateLimit(per_second=10, burst=10),
        "heavy": RateLimit(per_second=5, burst=5, per_day=15_000),
    },
    "business": {
        "light": RateLimit(per_second=40, burst=40),
        "medium": RateLimit(per_second=20, burst=20),
        "heavy": RateLimit(per_second=10, burst=10, per_day=30_000),
    },
}
"""Zoom's published per-account limits for Contact Center and Phone APIs, by plan and label."""

DEFAULT_OPERATION_LABELS: dict[str, str] = {
    "contact_center.sms.list": "heavy",
    "contact_center.voice_calls.list": "heavy",
    "phone.sms_sessions.list": "medium",
    "phone.sms_sessions.get": "medium",
}
"""Zoom's rate-limit label of each operation (override with `operation_labels=`)."""

_REFRESH_CODES = frozenset({124})
_AUTH_CODES = frozenset({124, 4700, 4711})
_MAX_PAGE_SIZE = 100

PageT = TypeVar("PageT", bound=ZoomPage)
ItemT = TypeVar("ItemT")


class ZoomClient(BaseClient):
    """Zoom Contact Center and Phone over Server-to-Server OAuth.

    Args:
        account_id, client_id, client_secret: the Server-to-Server OAuth app's credentials.
        api_url: API base (regional hosts exist); token_url: the OAuth token endpoint.
        plan: ``"pro"`` or ``"business"`` (Business+ limits are twice Pro's).
        rate_limits: overrides by label (``{"heavy": RateLimit(per_second=2, per_day=5_000)}``);
            ``None`` as a value disables the client-side limit for that label.
        operation_labels: overrides which label an operation counts against
            (``{"phone.sms_sessions.get": "heavy"}``).
        http_client: an `httpx.AsyncClient` to use (not closed by `aclose`); one is created otherwise.
        timeout: for the created HTTP client. retry: a `RetryPolicy`.
        sleep, clock, rng: injectable `asyncio.sleep`, `time.time` and `random.Random` (tests).
        limiter_registry: the `RateBudget` (default: in-process buckets shared by the whole process; a
            deployment of several processes passes one shared by all, see `bot.db.rate_budget`).
        deadline: seconds one call may take in all, token fetch, retries and waits included (``None``: no
            total deadline); see `bot.providers._http`.
        token_refresh_margin: seconds before expiry at which the token is fetched again.
    """

    _provider = "zoom"
    _display_name = "Zoom"
    _errors = ERRORS

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str | SecretStr,
        api_url: str = API_URL,
        token_url: str = TOKEN_URL,
        plan: ZoomPlanName = "pro",
        rate_limits: Mapping[str, RateLimit | None] | None = None,
        operation_labels: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        limiter_registry: RateBudget | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        token_refresh_margin: float = 300.0,
    ) -> None:
        plan_key = str(plan).lower()
        if plan_key not in PLAN_RATE_LIMITS:
            raise ValueError(f"plan must be one of {sorted(PLAN_RATE_LIMITS)}, not {plan!r}")
        if not account_id or not client_id:
            raise ValueError("account_id and client_id are required")
        limits: dict[str, RateLimit | None] = dict(PLAN_RATE_LIMITS[plan_key])
        for label, limit in (rate_limits or {}).items():
            limits[label.lower()] = limit
        super().__init__(
            account_key=account_id,
            rate_limits=limits,
            http_client=http_client,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
            rng=rng,
            limiter_registry=limiter_registry,
            deadline=deadline,
        )
        self.plan = plan_key
        self.account_id = account_id
        self._client_id = client_id
        self._client_secret = (
            client_secret.get_secret_value() if isinstance(client_secret, SecretStr) else client_secret
        )
        self._api_url = api_url.rstrip("/")
        self._token_url = token_url
        self._token_refresh_margin = token_refresh_margin
        self._operation_labels = {**DEFAULT_OPERATION_LABELS, **(operation_labels or {})}
        self._tokens = TokenCache(self._fetch_token, self._clock)

        self.contact_center = ContactCenter(self)
        """`GET /contact_center/sms` and `/contact_center/voice_calls`."""
        self.phone = Phone(self)
        """`GET /phone/sms/sessions` and `/phone/sms/sessions/{sessionId}`."""

    def __repr__(self) -> str:
        return f"ZoomClient(account_id={self.account_id!r}, api_url={self._api_url!r}, plan={self.plan!r})"

    @property
    def token_fetches(self) -> int:
        """How many OAuth tokens this client has fetched (diagnostics)."""
        return self._tokens.fetches

    # -- auth

    async def _fetch_token(self) -> AccessToken:
        return await self._client_credentials_token(
            token_url=self._token_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            form={"grant_type": "account_credentials", "account_id": self.account_id},
            refused="Zoom refused the app's Server-to-Server OAuth credentials",
            default_expires_in=3600.0,
            refresh_margin=self._token_refresh_margin,
        )

    async def _auth_headers(self) -> dict[str, str]:
        token = await self._tokens.get()
        return {"Authorization": f"Bearer {token.value}"}

    async def _on_unauthorized(self, response: httpx.Response, sent_headers: Mapping[str, str]) -> bool:
        _, code, _ = self._parse_error(response)
        if code is not None and _as_int(code) not in _REFRESH_CODES:
            return False
        self._tokens.invalidate(sent_headers.get("Authorization", "").removeprefix("Bearer "))
        return True

    # -- error hooks

    def _parse_error(self, response: httpx.Response) -> tuple[str | None, int | str | None, Any]:
        try:
            body = response.json()
        except ValueError:
            return None, None, None
        if not isinstance(body, dict):
            return None, None, None
        message = body.get("message") or body.get("reason")
        code = body.get("code")
        if code is None and isinstance(body.get("error"), str):
            code = body["error"]
        details = body.get("errors")
        return (
            message if isinstance(message, str) and message.strip() else None,
            code if isinstance(code, int | str) and not isinstance(code, bool) else None,
            details,
        )

    def _error_kind(self, status: int, code: int | str | None) -> str:
        if status != 429 and _as_int(code) in _AUTH_CODES:
            return "auth"
        return super()._error_kind(status, code)

    def _secret_values(self) -> list[str]:
        token = self._tokens.current
        return [self._client_secret] + ([token.value] if token is not None else [])

    def _is_daily_limit(self, response: httpx.Response, message: str | None) -> bool:
        limit_type = response.headers.get("X-RateLimit-Type", "")
        return "daily" in limit_type.lower() or "daily" in (message or "").lower()

    # -- shared by resources

    def _label(self, operation: str) -> str | None:
        return self._operation_labels.get(operation)

    def _windows(self, from_: DateLike | None, to: DateLike | None) -> list[Window] | None:
        """The month windows for a `from_`/`to` pair (``None``: let Zoom apply its default range)."""
        if from_ is None:
            if to is not None:
                raise self._invalid_argument("Give `from_` as well as `to` (Zoom requires both together).")
            return None
        if to is None:
            now = datetime.fromtimestamp(self._clock(), UTC)
            to = now if isinstance(from_, datetime) else now.date()
        try:
            return month_windows(from_, to)
        except ValueError:
            raise self._invalid_argument("The start of the date range is after its end.") from None

    def _page_size(self, page_size: int | None) -> int | None:
        if page_size is not None and not 1 <= page_size <= _MAX_PAGE_SIZE:
            raise self._invalid_argument(f"page_size must be between 1 and {_MAX_PAGE_SIZE}.")
        return page_size

    def _paged(
        self,
        path: str,
        *,
        operation: str,
        params: QueryParams,
        windows: Sequence[Window] | None,
        page_model: type[PageT],
        items: Callable[[PageT], list[ItemT]],
    ) -> AsyncPager[PageT, ItemT]:
        url = f"{self._api_url}{path}"
        label = self._label(operation)

        async def pages() -> AsyncIterator[PageT]:
            for window in windows if windows is not None else [None]:
                page_token: str | None = None
                while True:
                    page_params = list(params)
                    if window is not None:
                        page_params += [("from", window.from_param), ("to", window.to_param)]
                    if page_token:
                        page_params.append(("next_page_token", page_token))
                    response = await self._request(
                        "GET", url, operation=operation, params=page_params, rate_label=label
                    )
                    page = self._model(page_model, response, operation)
                    yield page
                    following = page.next_page_token
                    if not following or following == page_token:
                        break
                    page_token = following

        return AsyncPager(pages, items)


class _Resource:
    def __init__(self, client: ZoomClient) -> None:
        self._client = client


class ContactCenterSms(_Resource):
    def list(
        self,
        *,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        page_size: int | None = None,
        country_iso_codes: Sequence[str] | None = None,
        direction: str | None = None,
        user_id: str | None = None,
        engagement_id: str | None = None,
        consumer_number: str | None = None,
    ) -> AsyncPager[SmsLogPage, SmsLog]:
        """SMS engagement logs (`GET /contact_center/sms`, HEAVY), newest month windows last.

        `from_`/`to` are dates or datetimes (inclusive); a range over a month is split into month windows.
        Without `from_` Zoom returns the last 24 hours. `direction` is ``inbound`` or ``outbound``.
        """
        client = self._client
        windows = client._windows(from_, to)
        params = query(
            page_size=client._page_size(page_size),
            country_iso_codes=_listed(country_iso_codes),
            direction=direction,
            user_id=user_id,
            engagement_id=engagement_id,
            consumer_number=consumer_number,
        )
        return client._paged(
            "/contact_center/sms",
            operation="contact_center.sms.list",
            params=params,
            windows=windows,
            page_model=SmsLogPage,
            items=lambda page: page.sms,
        )


class ContactCenterVoiceCalls(_Resource):
    def list(
        self,
        *,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        types: Sequence[str] | None = None,
        distribution: str | None = None,
        consumer_number: str | None = None,
        direction: str | None = None,
        user_ids: Sequence[str] | None = None,
        engagement_id: str | None = None,
        queue_ids: Sequence[str] | None = None,
        cc_queue_ids: Sequence[str] | None = None,
        country_iso_codes: Sequence[str] | None = None,
        number_types: Sequence[str] | None = None,
        region_ids: Sequence[str] | None = None,
        region_names: Sequence[str] | None = None,
        team_ids: Sequence[str] | None = None,
        team_names: Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[VoiceCallPage, VoiceCall]:
        """Voice call logs (`GET /contact_center/voice_calls`, HEAVY).

        List filters go out as repeated query parameters (``types=a&types=b``). `queue_ids` is deprecated by
        Zoom in favour of `cc_queue_ids`. Ranges over a month are split into month windows.
        """
        client = self._client
        windows = client._windows(from_, to)
        params = query(
            page_size=client._page_size(page_size),
            types=_listed(types),
            distribution=distribution,
            consumer_number=consumer_number,
            direction=direction,
            user_ids=_listed(user_ids),
            engagement_id=engagement_id,
            queue_ids=_listed(queue_ids),
            cc_queue_ids=_listed(cc_queue_ids),
            country_iso_codes=_listed(country_iso_codes),
            number_types=_listed(number_types),
            region_ids=_listed(region_ids),
            region_names=_listed(region_names),
            team_ids=_listed(team_ids),
            team_names=_listed(team_names),
        )
        return client._paged(
            "/contact_center/voice_calls",
            operation="contact_center.voice_calls.list",
            params=params,
            windows=windows,
            page_model=VoiceCallPage,
            items=lambda page: page.voice_calls,
        )


class ContactCenter:
    """Zoom Contact Center logs."""

    def __init__(self, client: ZoomClient) -> None:
        self.sms = ContactCenterSms(client)
        self.voice_calls = ContactCenterVoiceCalls(client)


class PhoneSmsSessions(_Resource):
    def list(
        self,
        *,
        phone_number: str | None = None,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        page_size: int | None = None,
        session_type: str | None = None,
        filter_type: str | None = None,
    ) -> AsyncPager[SmsSessionPage, SmsSession]:
        """SMS sessions of the account (`GET /phone/sms/sessions`, MEDIUM).

        `phone_number` (any format; sent as digits without "+") limits the list to sessions with that
        number. `session_type`: ``user`` (Zoom's default), ``call_queue``, ``auto_receptionist``,
        ``service_endpoint`` or ``all``. Without `from_` Zoom returns the last 30 days.
        """
        client = self._client
        number: str | None = None
        if phone_number is not None:
            number = re.sub(r"\D", "", phone_number)
            if not number:
                raise client._invalid_argument("phone_number has no digits.")
        windows = client._windows(from_, to)
        params = query(
            page_size=client._page_size(page_size),
            session_type=session_type,
            phone_number=number,
            filter_type=filter_type,
        )
        return client._paged(
            "/phone/sms/sessions",
            operation="phone.sms_sessions.list",
            params=params,
            windows=windows,
            page_model=SmsSessionPage,
            items=lambda page: page.sms_sessions,
        )

    def get(
        self,
        session_id: str,
        *,
        from_: DateLike | None = None,
        to: DateLike | None = None,
        sort: Literal[1, 2] | None = None,
        page_size: int | None = None,
        delivery_status: str | None = None,
    ) -> AsyncPager[SmsHistoryPage, SmsMessage]:
        """The messages of one SMS session (`GET /phone/sms/sessions/{sessionId}`, MEDIUM).

        `sort`: 1 oldest first, 2 newest first (month windows are then walked newest first too).
        """
        client = self._client
        if not session_id:
            raise client._invalid_argument("session_id is required.")
        if sort is not None and sort not in (1, 2):
            raise client._invalid_argument("sort must be 1 (ascending) or 2 (descending).")
        windows = client._windows(from_, to)
        if windows is not None and sort == 2:
            windows = list(reversed(windows))
        params = query(
            page_size=client._page_size(page_size),
            sort=sort,
            delivery_status=delivery_status,
        )
        return client._paged(
            f"/phone/sms/sessions/{quote(session_id, safe='')}",
            operation="phone.sms_sessions.get",
            params=params,
            windows=windows,
            page_model=SmsHistoryPage,
            items=lambda page: page.sms_histories,
        )


class Phone:
    """Zoom Phone SMS."""

    def __init__(self, client: ZoomClient) -> None:
        self.sms_sessions = PhoneSmsSessions(client)


def _listed(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    return list(values)


def _as_int(code: int | str | None) -> int | None:
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None
