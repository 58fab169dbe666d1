"""Async client for Routee: SMS tracking over the latest 7 days, and SMS send.

    async with RouteeClient(app_id=..., app_secret=...) as routee:
        async for sms in routee.tracking.list(
            date_start=now - timedelta(days=2), date_end=now,
            filters=[TrackingFilter(field_name="to", search_term="+306900000000")],
        ):
            ...
        sent = await routee.sms.send(body="Hello", to="+306900000000", from_="Switchboard")

* OAuth client credentials: one token for all concurrent callers, fetched again before it expires and once
  on a 401 or 403.
* Tracking ranges outside the latest 7 days are refused before any request (Routee would refuse them).
* Sends are never retried once the request may have reached Routee.
* Routee publishes no rate limits: the client-side limit (`rate_limit=`, default 10/s) is a guess to tune.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

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
from bot.providers.routee.errors import ERRORS
from bot.providers.routee.models import (
    SmsCallback,
    SmsSendResult,
    TrackedSms,
    TrackingFilter,
    TrackingPage,
)

__all__ = ["API_URL", "DEFAULT_RATE_LIMIT", "TOKEN_URL", "TRACKING_WINDOW", "RouteeClient"]

API_URL = "https://connect.routee.net"
"""Routee's API base: the one place it is written (settings, connection defaults and the client use it)."""
TOKEN_URL = "https://auth.routee.net/oauth/token"  # noqa: S105 - a URL, not a secret
"""Routee's OAuth token endpoint."""

DEFAULT_RATE_LIMIT = RateLimit(per_second=10)
"""Routee publishes no numbers: a conservative default, not a fact."""

TRACKING_WINDOW = timedelta(days=7)
"""Routee tracks only the latest 7 days."""

_CLOCK_TOLERANCE = timedelta(seconds=60)
_MAX_PAGE_SIZE = 2000
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SENDER_DIGITS = re.compile(r"^\+?\d{1,16}$")
_SENDER_ALPHA = re.compile(r"^[A-Za-z0-9 .\-]{1,11}$")
_UNSET: Any = object()


class RouteeClient(BaseClient):
    """Routee's SMS API for one application.

    Args:
        app_id, app_secret: the Routee application's credentials.
        api_url: the API base (`API_URL`); token_url: the OAuth token endpoint (`TOKEN_URL`).
        rate_limit: the client-side limit for this application (``None`` disables it).
        http_client, timeout, retry, sleep, clock, rng, limiter_registry, deadline: as for every provider
            client (`ZoomClient` describes them).
        token_refresh_margin: seconds before expiry at which the token is fetched again.
    """

    _provider = "routee"
    _display_name = "Routee"
    _errors = ERRORS
    _reauth_statuses = frozenset({401, 403})

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str | SecretStr,
        api_url: str = API_URL,
        token_url: str = TOKEN_URL,
        rate_limit: RateLimit | None = _UNSET,
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
        if not app_id:
            raise ValueError("app_id is required")
        super().__init__(
            account_key=app_id,
            rate_limits={"default": DEFAULT_RATE_LIMIT if rate_limit is _UNSET else rate_limit},
            http_client=http_client,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
            rng=rng,
            limiter_registry=limiter_registry,
            deadline=deadline,
        )
        self.app_id = app_id
        self._app_secret = app_secret.get_secret_value() if isinstance(app_secret, SecretStr) else app_secret
        self._api_url = api_url.rstrip("/")
        self._token_url = token_url
        self._token_refresh_margin = token_refresh_margin
        self._tokens = TokenCache(self._fetch_token, self._clock)

        self.tracking = Tracking(self)
        """`POST /sms/tracking`: search SMS of the latest 7 days."""
        self.sms = Sms(self)
        """`POST /sms`: send one SMS."""

    def __repr__(self) -> str:
        return f"RouteeClient(app_id={self.app_id!r}, api_url={self._api_url!r})"

    @property
    def token_fetches(self) -> int:
        """How many OAuth tokens this client has fetched (diagnostics)."""
        return self._tokens.fetches

    # -- auth

    async def _fetch_token(self) -> AccessToken:
        return await self._client_credentials_token(
            token_url=self._token_url,
            client_id=self.app_id,
            client_secret=self._app_secret,
            form={"grant_type": "client_credentials"},
            refused="Routee refused the application's credentials",
            default_expires_in=None,
            refresh_margin=self._token_refresh_margin,
        )

    async def _auth_headers(self) -> dict[str, str]:
        token = await self._tokens.get()
        return {"Authorization": f"Bearer {token.value}"}

    async def _on_unauthorized(self, response: httpx.Response, sent_headers: Mapping[str, str]) -> bool:
        self._tokens.invalidate(sent_headers.get("Authorization", "").removeprefix("Bearer "))
        return True

    def _parse_error(self, response: httpx.Response) -> tuple[str | None, int | str | None, Any]:
        try:
            body = response.json()
        except ValueError:
            return None, None, None
        if not isinstance(body, dict):
            return None, None, None
        message = body.get("developerMessage") or body.get("message") or body.get("error_description")
        code = body.get("code") if body.get("code") is not None else body.get("error")
        return (
            message if isinstance(message, str) and message.strip() else None,
            code if isinstance(code, int | str) and not isinstance(code, bool) else None,
            body.get("properties"),
        )

    def _secret_values(self) -> list[str]:
        token = self._tokens.current
        return [self._app_secret] + ([token.value] if token is not None else [])

    def _url(self, path: str) -> str:
        return f"{self._api_url}{path}"


class Tracking:
    """Search the SMS of the latest 7 days."""

    def __init__(self, client: RouteeClient) -> None:
        self._client = client

    def list(
        self,
        *,
        date_start: date | datetime,
        date_end: date | datetime,
        filters: Sequence[TrackingFilter] | None = None,
        page_size: int = 20,
        sort: str | None = None,
        campaign: str | None = None,
        only_campaign: bool | None = None,
    ) -> AsyncPager[TrackingPage, TrackedSms]:
        """Tracked SMS between `date_start` and `date_end` (`POST /sms/tracking`), page after page (0-based).

        Both ends must lie within the latest 7 days (checked against the client's clock, with a minute of
        tolerance): otherwise `InvalidArgument` is raised before any request. A plain date means 00:00 UTC
        for `date_start` and 23:59:59 UTC (but not after now) for `date_end`. `filters` go in the JSON body;
        `page_size` is 1..2000; `campaign` a campaign tracking id; `only_campaign` limits to campaign SMS.
        """
        client = self._client
        now = datetime.fromtimestamp(client._clock(), UTC)
        start = _as_utc(date_start, end_of_day=False)
        end = _as_utc(date_end, end_of_day=True)
        if not isinstance(date_end, datetime):
            end = min(end, now.replace(microsecond=0))
        if start > end:
            raise client._invalid_argument("date_start is after date_end.")
        oldest = now - TRACKING_WINDOW
        if start < oldest - _CLOCK_TOLERANCE or end > now + _CLOCK_TOLERANCE:
            raise client._invalid_argument(
                "Routee tracks only the latest 7 days: give a range between "
                f"{_format(oldest)} and {_format(now)} (asked: {_format(start)} to {_format(end)})."
            )
        if not 1 <= page_size <= _MAX_PAGE_SIZE:
            raise client._invalid_argument(f"page_size must be between 1 and {_MAX_PAGE_SIZE}.")
        body = [
            _filter(item).model_dump(by_alias=True, exclude_none=True, mode="json") for item in filters or []
        ]
        base_params = query(
            dateStart=_format(start),
            dateEnd=_format(end),
            sort=sort,
            campaign=campaign,
            onlyCampaign=only_campaign,
        )
        url = client._url("/sms/tracking")

        async def pages() -> AsyncIterator[TrackingPage]:
            number = 0
            while True:
                params = [*base_params, ("page", str(number)), ("size", str(page_size))]
                response = await client._request(
                    "POST", url, operation="tracking.list", params=params, json=body, idempotent=True
                )
                page = client._model(TrackingPage, response, "tracking.list")
                yield page
                if page.last is True or not page.content:
                    return
                if page.total_pages is not None and number + 1 >= page.total_pages:
                    return
                number += 1

        return AsyncPager(pages, lambda page: page.content)


class Sms:
    """Send SMS."""

    def __init__(self, client: RouteeClient) -> None:
        self._client = client

    async def send(
        self,
        *,
        body: str,
        to: str,
        from_: str,
        label: str | None = None,
        callback: SmsCallback | Mapping[str, str] | None = None,
    ) -> SmsSendResult:
        """Send one SMS (`POST /sms`); Routee answers with a `tracking_id` and status "Queued".

        `to` in E.164 with "+"; `from_` up to 11 letters/digits or up to 16 digits. Checked before any
        request. Never retried once the request may have reached Routee (`OutcomeUnknown` instead).
        """
        client = self._client
        if not body:
            raise client._invalid_argument("`body` (the message text) is required.")
        if not _E164.match(to):
            raise client._invalid_argument(
                "`to` must be an E.164 number with its country code, e.g. +306900000000."
            )
        if not (_SENDER_DIGITS.match(from_) or _SENDER_ALPHA.match(from_)):
            raise client._invalid_argument("`from_` must be up to 11 letters/digits, or up to 16 digits.")
        payload: dict[str, Any] = {"body": body, "to": to, "from": from_}
        if label is not None:
            payload["label"] = label
        if callback is not None:
            try:
                hook = callback if isinstance(callback, SmsCallback) else SmsCallback.model_validate(callback)
            except ValidationError:
                raise client._invalid_argument(
                    "`callback` needs a `url` and a `strategy` of OnChange or OnCompletion."
                ) from None
            payload["callback"] = hook.model_dump(by_alias=True, exclude_none=True)
        response = await client._request(
            "POST", client._url("/sms"), operation="sms.send", json=payload, idempotent=False
        )
        return client._model(SmsSendResult, response, "sms.send")


def _filter(item: TrackingFilter | Mapping[str, str]) -> TrackingFilter:
    return item if isinstance(item, TrackingFilter) else TrackingFilter.model_validate(item)


def _as_utc(value: date | datetime, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0, 0, 0), tzinfo=UTC)


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
